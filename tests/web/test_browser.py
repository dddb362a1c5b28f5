"""The site in headless Chromium: a village clerk, the county reviewer, a user of another county.

Uses Debian's chromium (no `playwright install`). Each page is also rendered to a screenshot
(full page, in the test's temporary folder), which fails on a page Chromium cannot draw; the
README's screenshots are taken on the demo county by docs/screenshots.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from fupin.registry.freezing import freeze
from fupin.registry.importing import import_dataset
from fupin.web import verdicts
from fupin.web.accounts import create_user
from tests.browsers import chromium, needs_chromium
from tests.registry import dataset
from tests.web.conftest import OTHER_COUNTY, PASSWORD, rows

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@pytest.fixture
def site(transactional_db, live_server, tmp_path, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are plain
    # synchronous ones made between page actions.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.setenv("FUPIN_HOME", str(tmp_path / "home"))
    assert import_dataset(dataset.write(tmp_path / "ds", rows())).committed
    create_user("clerk_a", PASSWORD, "数据录入员", dataset.VILLAGE_A, "新寨村委会")
    create_user("reviewer", PASSWORD, "审核员", dataset.COUNTY, "龙陵县扶贫办")
    create_user("outsider", PASSWORD, ["数据录入员", "审核员", "领导"], OTHER_COUNTY)
    # a snapshot and its evaluation, so the pages (and screenshots) show exit verdicts
    freeze(timezone.localdate())
    verdicts.refresh()
    return live_server.url


@pytest.fixture
def browser():
    with chromium() as b:
        yield b


def shot(page, name: str, tmp_path: Path) -> None:
    target = tmp_path / name
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 0


def log_in(browser, url: str, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{url}/")
    return page


def test_clerk_edits_and_asks_for_an_exit_reviewer_approves_outsider_is_refused(
    site, browser, tmp_path
):
    from fupin.registry.models import Household, Member

    child = Member.objects.get(name="张小")
    good_id = child.id_number
    bad_id = good_id[:17] + ("0" if good_id[17] != "0" else "1")

    # the village clerk finds the household
    page = log_in(browser, site, "clerk_a")
    page.click("text=贫困户查询")
    page.fill("#search-q", "张三")
    page.click("#search-submit")
    page.click("#results >> text=H001")
    page.wait_for_url(f"{site}/households/H001/")
    assert good_id not in page.content()  # masked on screen
    assert "低于标准3,200元" in page.inner_text("#verdict")

    # an invalid ID is refused with the rule, then fixed
    page.click(".edit-member[data-name='张小']")
    page.fill("#f-id_number", bad_id)
    page.click("#save")
    assert "校验码错误" in page.inner_text("#err-id_number")
    page.fill("#f-id_number", good_id)
    page.select_option("#f-school_status", "高中")
    page.click("#save")
    page.wait_for_url(f"{site}/households/H001/")
    assert "已保存成员张小的信息" in page.content()
    assert Member.objects.get(id_number=good_id).school_status == "高中"

    # and the exit goes to the reviewer
    page.select_option("#adjust-kind", "标注脱贫")
    page.fill("#adjust-reason", "人均纯收入超过标准，两不愁三保障已实现")
    page.click("#adjust-submit")
    assert "等待审核员审核" in page.content()
    assert page.inner_text("#status") == "未脱贫"
    shot(page, "household.png", tmp_path)
    page.context.close()

    # the county reviewer approves it
    page = log_in(browser, site, "reviewer")
    page.wait_for_function("document.querySelectorAll('#chart-status canvas').length > 0")
    shot(page, "home.png", tmp_path)
    page.click("#pending-count")
    page.click("#adjustment-list button.approve")
    assert "已批准" in page.content()
    page.goto(f"{site}/households/H001/")
    assert page.inner_text("#status") == "已脱贫"
    assert Household.objects.get(household_id="H001").status == "已脱贫"
    page.context.close()

    # a user of another county cannot reach the household
    page = log_in(browser, site, "outsider")
    response = page.goto(f"{site}/households/H001/")
    assert response.status == 404
    page.goto(f"{site}/households/?q=张三")
    assert "/households/H001/" not in page.content()
    page.context.close()


def follow_the_job(page, site: str, kind: str) -> None:
    """On a job's page: its bar moves under a phase of the kind, then reaches 100 %."""
    page.wait_for_url(f"{site}/import/jobs/*/")
    assert page.get_attribute("#import-job", "data-kind") == kind
    page.wait_for_function(
        "/^(检查|写入)/.test(document.querySelector('.job-phase').textContent)"
        " && document.querySelector('.job-bar').value < 100"
    )
    page.wait_for_function(
        "document.querySelector('.job-bar') && document.querySelector('.job-bar').value === 100"
        " && document.querySelector('.job-percent').textContent.trim() === '100 %'"
    )


def test_an_upload_is_checked_then_imported_in_the_background_with_progress_bars(
    site, browser, tmp_path, monkeypatch
):
    import time

    from fupin.registry.models import Household
    from fupin.web import jobs
    from tests.web.test_import_page import county_a_rows

    # a few rows are checked and imported in milliseconds: slow each progress report down so
    # the page is seen following the job (the same thread, callbacks and polling as a
    # million-row upload)
    report = jobs._report

    def slowly(*args):
        report(*args)
        time.sleep(0.4)

    monkeypatch.setattr(jobs, "_report", slowly)

    create_user("county_admin", PASSWORD, "系统管理员", dataset.COUNTY, "龙陵县扶贫办")
    names = ("regions.csv", "households.csv", "members.csv")
    bad = county_a_rows()
    bad["households"][0]["wage_income"] = "很多"
    bad_folder = dataset.write(tmp_path / "bad", bad)
    good = county_a_rows()
    good["households"][0]["wage_income"] = "7000"
    good_folder = dataset.write(tmp_path / "good", good)

    # a bad upload: the check runs in the background, then lists the problem
    page = log_in(browser, site, "county_admin")
    page.click("text=数据导入")
    page.set_input_files("#upload-files", [str(bad_folder / n) for n in names])
    page.click("#check-submit")
    follow_the_job(page, site, "检查")
    page.wait_for_selector("#problems")
    assert page.inner_text(".job-phase").startswith("检查完成：发现")
    problems = page.inner_text("#problems")
    assert "households.csv\t2\twage_income\t很多\t应为数字" in problems
    assert "未写入任何数据" in page.inner_text("#problem-count")
    assert not page.is_visible("#import-submit")

    # a good one: checked in the background, the counts the import would give, then imported
    page.click("#upload-again")
    page.set_input_files("#upload-files", [str(good_folder / n) for n in names])
    page.click("#check-submit")
    follow_the_job(page, site, "检查")
    page.wait_for_selector("#check-passed")
    assert page.inner_text(".job-phase") == "检查通过，可以导入"
    assert "households\t0\t1\t2\t0\t0" in page.inner_text("#counts")
    assert Household.objects.get(household_id="H001").wage_income == 6000  # checked, not written
    page.click("#import-submit")
    follow_the_job(page, site, "导入")
    page.wait_for_selector("#import-done")
    assert page.inner_text(".job-phase") == "导入完成"
    counts = page.inner_text("#counts")
    assert "新增" in counts and "更新" in counts and "未变" in counts
    assert "households\t0\t1\t2\t0\t0" in counts
    assert Household.objects.get(household_id="H001").wage_income == 7000
    shot(page, "import.png", tmp_path)

    # coming back to the import page shows the checks and the import among the recent ones
    page.click("text=数据导入")
    recent = page.inner_text("#recent-imports")
    assert "检查" in recent and "导入" in recent and "完成" in recent
    page.context.close()


def test_the_year_comparison_draws_its_charts_from_the_home_page(site, browser, tmp_path):
    year = timezone.localdate().year
    page = log_in(browser, site, "reviewer")
    page.click("#years-link")
    page.wait_for_url(f"{site}/regions/{dataset.COUNTY}/years/")
    page.wait_for_function("document.querySelectorAll('#chart-years-status canvas').length > 0")
    page.wait_for_function("document.querySelectorAll('#chart-years-children canvas').length > 0")
    row = page.inner_text(f"#years-table tr[data-year='{year}']")
    assert "（今日）" in row and "%" in row
    assert "龙山镇" in page.inner_text("#children-table")
    shot(page, "years.png", tmp_path)
    page.context.close()

"""An assessor in headless Chromium (Debian's, no `playwright install`): uploads the plan,
enters two households' findings, one refused first by a survey rule, and reads the rates."""

from __future__ import annotations

import pytest

from fupin.registry.importing import import_dataset
from fupin.web.accounts import create_user
from tests.browsers import chromium, needs_chromium
from tests.registry import dataset
from tests.web.conftest import PASSWORD, rows

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
    create_user("assessor", PASSWORD, "评估员", dataset.COUNTY, "第三方评估机构")
    return live_server.url


@pytest.fixture
def page():
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        yield context.new_page()


def test_an_assessor_enters_two_findings_and_sees_the_rates(site, page, plan_file):
    from fupin.assessment.models import Visit

    page.goto(f"{site}/login/")
    page.fill("#id_username", "assessor")
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{site}/")
    page.click("text=考核评估")
    page.wait_for_url(f"{site}/assessment/")

    page.set_input_files("#plan-upload input[name=file]", str(plan_file))
    page.fill("#plan-upload input[name=name]", "龙陵县第三方评估")
    page.click("#plan-upload button[type=submit]")
    page.wait_for_url("**/assessment/plans/*/")
    assert page.inner_text("#done") == "0"
    total = int(page.inner_text("#total"))
    assert total > 3

    # the first household: a registered one, with a rule broken first
    page.click("a[data-unit='H001']")
    page.wait_for_url("**/visits/*/")
    page.select_option("#f-should_be_registered", "是")
    page.select_option("#f-satisfied", "是")
    page.click("#save-next")
    assert "“应纳未纳”只适用于非建档立卡户" in page.inner_text(
        ".field-error[data-field='should_be_registered']"
    )
    page.select_option("#f-should_be_registered", "")
    page.select_option("#f-meets_exit_standard", "否")
    page.click("#save-next")
    page.wait_for_url("**/visits/*/")
    assert "已保存 H001 的调查结果" in page.content()

    # the next one in the plan's order: a place for a non-registered household of 新寨村
    heading = page.inner_text("h1")
    assert "非建档立卡户（调查名额）" in page.inner_text("main")
    page.fill("#f-people", "4")
    page.select_option("#f-should_be_registered", "否")
    page.fill("#f-missed_people", "0")
    page.select_option("#f-satisfied", "是")
    page.click("#save")
    page.wait_for_url("**/assessment/plans/*/")
    assert page.inner_text("#done") == "2"
    assert Visit.objects.filter(visited_at__isnull=False).count() == 2
    assert heading.startswith("入户调查：530523100001-F")

    page.click("#rates-link")
    page.wait_for_url("**/rates/")
    text = page.inner_text("body")
    assert "三率一度与退出判定" in text
    assert "群众认可度" in text and "100.00%" in text  # both satisfied
    assert page.locator("#rates tr[data-indicator='recognition']").count() >= 1
    assert page.locator("#verdict-530523000000").count() == 1

"""Import on the site: check first (nothing written, problems in a table), then import in the
background with a progress bar the page polls."""

from __future__ import annotations

import csv
import time

import pytest

from fupin.registry.models import Household, ImportRun
from fupin.web import jobs
from fupin.web.accounts import create_user
from fupin.web.models import AuditLog, ImportJob
from tests.registry import dataset
from tests.web.conftest import OTHER_COUNTY, PASSWORD, client_for, rows


def upload(client, folder, names=("regions.csv", "households.csv", "members.csv")):
    files = [open(folder / name, "rb") for name in names]
    try:
        return client.post("/import/", {"step": "check", "files": files})
    finally:
        for f in files:
            f.close()


def county_a_rows():
    """The data set of 龙陵县 alone (what its administrator may import)."""
    data = rows()
    data["regions"] = [r for r in data["regions"] if not r["code"].startswith("530524")]
    data["households"] = [h for h in data["households"] if h["region_code"].startswith("530523")]
    data["members"] = [m for m in data["members"] if m["household_id"] != "H900"]
    return data


def county_admin():
    return create_user("county_admin", PASSWORD, "系统管理员", dataset.COUNTY)


def test_a_bad_value_is_listed_with_file_row_and_column_and_nothing_is_written(
    client, registry, tmp_path
):
    data = county_a_rows()
    data["households"][0]["wage_income"] = "很多"
    folder = dataset.write(tmp_path / "bad", data)
    page = upload(client_for(client, county_admin()), folder)
    text = page.content.decode()
    assert 'id="problems"' in text
    assert (
        '<td>households.csv</td><td class="num">2</td><td>wage_income</td><td>很多</td><td>应为数字</td>'
        in text
    )
    assert "未写入任何数据" in text
    assert Household.objects.get(household_id="H001").wage_income == 6000


def token_of(page) -> str:
    return page.content.decode().split('name="token" value="')[1].split('"')[0]


def wait_until_finished(client, job_id: int, seconds: float = 60) -> list[dict]:
    """Poll the status as the page does; every answer seen, the last one finished."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = client.get(f"/import/jobs/{job_id}/status/")
        assert answer.status_code == 200
        seen.append(answer.json())
        if seen[-1]["finished"]:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"import job {job_id} did not finish: {seen[-1]}")


def start(client, token: str) -> int:
    started = client.post("/import/", {"step": "import", "token": token})
    assert started.status_code == 302, started.content.decode()
    return int(started["Location"].rstrip("/").split("/")[-1])


@pytest.mark.django_db(transaction=True)
class TestImportInTheBackground:
    def test_a_clean_upload_is_checked_then_imported_by_a_thread_the_page_follows(
        self, client, registry, tmp_path
    ):
        data = county_a_rows()
        data["households"][0]["wage_income"] = "7000"
        folder = dataset.write(tmp_path / "good", data)
        c = client_for(client, county_admin())
        runs_before = ImportRun.objects.count()
        page = upload(c, folder)
        assert "检查通过" in page.content.decode()
        assert Household.objects.get(household_id="H001").wage_income == 6000  # not yet

        job_id = start(c, token_of(page))
        seen = wait_until_finished(c, job_id)
        last = seen[-1]
        assert last["state"] == "完成" and last["committed"] and last["percent"] == 100
        assert all(0 <= s["percent"] <= 100 for s in seen if s["percent"] is not None)

        job = ImportJob.objects.get(pk=job_id)
        assert job.started_at and job.finished_at and job.problem_count == 0
        households = dict(job.counts)["households"]
        assert households["updated"] == 1 and households["unchanged"] == 2
        assert Household.objects.get(household_id="H001").wage_income == 7000
        assert ImportRun.objects.count() == runs_before + 1  # the check left no run behind
        entry = AuditLog.objects.get(action="导入")
        assert (entry.username, entry.detail, entry.ip) == ("county_admin", "已写入", "127.0.0.1")

        text = c.get(f"/import/jobs/{job_id}/").content.decode()
        assert 'id="import-done"' in text and 'id="counts"' in text
        assert (
            '<td>households</td><td class="num">0</td><td class="num">1</td><td class="num">2</td>'
            in text
        )
        assert 'value="100"' in text and "导入完成" in text
        with (folder / "households.csv").open(encoding="utf-8") as f:
            assert len(list(csv.DictReader(f))) == 3  # the user's files, untouched

    def test_progress_is_reported_by_phase_with_rows_done_of_total(
        self, client, registry, tmp_path, monkeypatch
    ):
        # every 10,000 rows in real use; here the importer's callbacks are recorded as they come
        reported = []
        original = jobs._report

        def record(job_id, phase, done, total):
            original(job_id, phase, done, total)
            reported.append((phase, done, total, jobs.progress(ImportJob.objects.get(pk=job_id))))

        monkeypatch.setattr(jobs, "_report", record)
        data = county_a_rows()
        data["households"][1]["wage_income"] = "8000"
        folder = dataset.write(tmp_path / "good", data)
        c = client_for(client, county_admin())
        job_id = start(c, token_of(upload(c, folder)))
        wait_until_finished(c, job_id)
        phases = [p for p, *_ in reported]
        assert phases[0] == "检查管辖范围"
        assert "检查 members.csv" in phases and "写入数据库" in phases
        members = [r for r in reported if r[0] == "检查 members.csv"][-1]
        assert members[1] == members[2] == len(county_a_rows()["members"])
        status = members[3]
        assert status["state"] == "检查中" and status["percent"] == 100
        assert status["label"] == f"检查 members.csv {members[1]:,} / {members[2]:,} 行"
        writing = [r for r in reported if r[0] == "写入数据库"][-1][3]
        assert writing["state"] == "写入中" and writing["label"].startswith("写入数据库 ")

    def test_another_countys_user_gets_404_for_the_job_and_its_status(
        self, client, registry, tmp_path, outsider
    ):
        folder = dataset.write(tmp_path / "good", county_a_rows())
        c = client_for(client, county_admin())
        job_id = start(c, token_of(upload(c, folder)))
        wait_until_finished(c, job_id)
        other = client_for(client, outsider)
        assert other.get(f"/import/jobs/{job_id}/").status_code == 404
        assert other.get(f"/import/jobs/{job_id}/status/").status_code == 404
        assert f"/import/jobs/{job_id}/" not in other.get("/import/").content.decode()

    def test_problems_found_by_the_import_itself_are_listed_and_nothing_is_written(
        self, client, registry, tmp_path
    ):
        # the files change between the check and the import: the import's own check wins
        data = county_a_rows()
        folder = dataset.write(tmp_path / "good", data)
        c = client_for(client, county_admin())
        page = upload(c, folder)
        token = token_of(page)
        data["households"][0]["wage_income"] = "很多"
        uploaded = ("regions", "households", "members")
        dataset.write(jobs.uploads.upload_root() / token, {t: data[t] for t in uploaded})
        job_id = start(c, token)
        last = wait_until_finished(c, job_id)[-1]
        assert last["state"] == "失败" and not last["committed"] and last["problem_count"] >= 1
        text = c.get(f"/import/jobs/{job_id}/").content.decode()
        assert '<td>households.csv</td><td class="num">2</td><td>wage_income</td>' in text
        assert "未写入任何数据" in text and 'id="import-done"' not in text
        assert Household.objects.get(household_id="H001").wage_income == 6000

    def test_rows_outside_the_users_region_are_refused_by_the_job_too(
        self, client, registry, tmp_path
    ):
        data = county_a_rows()
        c = client_for(client, county_admin())
        token = token_of(upload(c, dataset.write(tmp_path / "good", data)))
        outside = rows()  # with 施甸县's household H900, swapped in after the check
        uploaded = ("regions", "households", "members")
        dataset.write(jobs.uploads.upload_root() / token, {t: outside[t] for t in uploaded})
        job_id = start(c, token)
        last = wait_until_finished(c, job_id)[-1]
        assert last["state"] == "失败" and not last["committed"]
        text = c.get(f"/import/jobs/{job_id}/").content.decode()
        assert "不在您的管辖范围内" in text and "不能导入" in text
        assert AuditLog.objects.get(action="导入").detail.endswith("行不在管辖范围内")


def test_a_running_job_is_shown_when_the_user_comes_back_to_the_import_page(client, registry):
    admin = county_admin()
    job = ImportJob.objects.create(
        user=admin, region_code=dataset.COUNTY, token="abc", source="members.csv", state="检查中"
    )
    live = {"state": "检查中", "phase": "检查 members.csv", "done": 120_000, "total": 1_000_000}
    jobs._live[job.pk] = live  # as its thread would have it
    try:
        text = client_for(client, admin).get("/import/").content.decode()
    finally:
        jobs._live.pop(job.pk)
    assert 'id="running-imports"' in text
    assert 'value="12"' in text and "检查 members.csv 120,000 / 1,000,000 行" in text
    assert f'data-status="/import/jobs/{job.pk}/status/"' in text


def test_no_check_or_second_import_starts_while_an_import_is_running(client, registry, tmp_path):
    admin = county_admin()
    c = client_for(client, admin)
    folder = dataset.write(tmp_path / "good", county_a_rows())
    token = token_of(upload(c, folder))
    jobs._live[-1] = {"state": "写入中", "phase": "写入数据库", "done": 1, "total": 2}
    try:
        refused = c.post("/import/", {"step": "import", "token": token}, follow=True)
        assert "已有一个导入正在进行" in refused.content.decode()
        assert upload(c, folder).status_code == 302  # back to the import page, with why
        assert "请等它完成后再检查" in c.get("/import/").content.decode()
    finally:
        jobs._live.pop(-1)
    assert not ImportJob.objects.exists()


def test_a_job_cut_off_by_a_restart_is_shown_as_failed(client, registry):
    admin = county_admin()
    job = ImportJob.objects.create(
        user=admin, region_code=dataset.COUNTY, token="abc", source="x.xlsx", state="写入中"
    )
    answer = client_for(client, admin).get(f"/import/jobs/{job.pk}/status/").json()
    assert answer["finished"] and answer["state"] == "失败"
    assert "服务已重启" in answer["error"]


def test_a_county_administrator_sees_the_imports_of_a_village_user_not_another_countys(
    client, registry
):
    clerk = create_user("clerk_x", PASSWORD, "系统管理员", dataset.VILLAGE_A)
    outsider = create_user("other_admin", PASSWORD, "系统管理员", OTHER_COUNTY)
    job = ImportJob.objects.create(
        user=clerk, region_code=dataset.VILLAGE_A, token="abc", source="x.xlsx", state="完成"
    )
    assert client_for(client, county_admin()).get(f"/import/jobs/{job.pk}/").status_code == 200
    assert client_for(client, outsider).get(f"/import/jobs/{job.pk}/").status_code == 404

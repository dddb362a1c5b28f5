"""Import on the site: the upload is checked in the background (nothing written, progress bar,
then the problems in a table or the counts the import would give), then imported in the
background with a progress bar the page polls."""

from __future__ import annotations

import csv
import os
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


def job_of(answer) -> int:
    assert answer.status_code == 302, answer.content.decode()
    assert answer["Location"].startswith("/import/jobs/"), answer["Location"]
    return int(answer["Location"].rstrip("/").split("/")[-1])


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
    raise AssertionError(f"job {job_id} did not finish: {seen[-1]}")


def check(client, folder, **kwargs) -> int:
    """Upload and wait for the background check; the check job's id."""
    job_id = job_of(upload(client, folder, **kwargs))
    wait_until_finished(client, job_id)
    return job_id


def start(client, check_id: int) -> int:
    """确认导入 on a passed check's page; the import job's id."""
    return job_of(client.post("/import/", {"step": "import", "check": str(check_id)}))


@pytest.mark.django_db(transaction=True)
class TestCheckInTheBackground:
    def test_a_bad_value_is_listed_with_file_row_and_column_and_nothing_is_written(
        self, client, registry, tmp_path
    ):
        data = county_a_rows()
        data["households"][0]["wage_income"] = "很多"
        folder = dataset.write(tmp_path / "bad", data)
        c = client_for(client, county_admin())
        job_id = job_of(upload(c, folder))
        last = wait_until_finished(c, job_id)[-1]
        assert last["kind"] == "检查" and last["state"] == "失败" and not last["passed"]
        n = last["problem_count"]  # the household's members are refused with it
        assert last["percent"] == 100 and n >= 1
        assert last["label"] == f"检查完成：发现 {n} 个问题"
        text = c.get(f"/import/jobs/{job_id}/").content.decode()
        assert 'id="problems"' in text
        assert (
            '<td>households.csv</td><td class="num">2</td><td>wage_income</td><td>很多</td>'
            "<td>应为数字</td>" in text
        )
        assert "未写入任何数据" in text and 'id="import-form"' not in text
        assert Household.objects.get(household_id="H001").wage_income == 6000
        entry = AuditLog.objects.get(action="导入检查")
        assert (entry.username, entry.detail) == ("county_admin", f"发现{n}个问题")
        # and its upload cannot be imported by posting the form anyway
        refused = c.post("/import/", {"step": "import", "check": str(job_id)}, follow=True)
        assert "检查未通过的数据不能导入" in refused.content.decode()
        assert not ImportJob.objects.filter(kind="导入").exists()

    def test_a_clean_upload_shows_the_counts_the_import_would_give_and_the_import_button(
        self, client, registry, tmp_path
    ):
        data = county_a_rows()
        data["households"][0]["wage_income"] = "7000"
        folder = dataset.write(tmp_path / "good", data)
        c = client_for(client, county_admin())
        runs_before = ImportRun.objects.count()
        job_id = job_of(upload(c, folder))
        seen = wait_until_finished(c, job_id)
        last = seen[-1]
        assert last["state"] == "完成" and last["passed"] and not last["committed"]
        assert last["percent"] == 100 and last["label"] == "检查通过，可以导入"
        assert all(0 <= s["percent"] <= 100 for s in seen if s["percent"] is not None)

        job = ImportJob.objects.get(pk=job_id)
        assert job.kind == "检查" and job.started_at and job.finished_at
        assert dict(job.counts)["households"]["updated"] == 1
        text = c.get(f"/import/jobs/{job_id}/").content.decode()
        assert "检查通过" in text and 'id="import-form"' in text
        assert f'name="check" value="{job_id}"' in text
        assert (
            '<td>households</td><td class="num">0</td><td class="num">1</td><td class="num">2</td>'
            in text
        )
        assert Household.objects.get(household_id="H001").wage_income == 6000  # not written
        assert ImportRun.objects.count() == runs_before  # a check leaves no import run
        entry = AuditLog.objects.get(action="导入检查")
        assert (entry.detail, entry.ip) == ("检查通过", "127.0.0.1")

    def test_progress_is_reported_while_checking_with_rows_done_of_total(
        self, client, registry, tmp_path, monkeypatch
    ):
        # every 10,000 rows in real use; here the importer's callbacks are recorded as they come
        reported = []
        original = jobs._report

        def record(job_id, phase, done, total):
            original(job_id, phase, done, total)
            status = jobs.progress(ImportJob.objects.get(pk=job_id))
            reported.append((job_id, phase, done, total, status))

        monkeypatch.setattr(jobs, "_report", record)
        data = county_a_rows()
        data["households"][1]["wage_income"] = "8000"
        c = client_for(client, county_admin())
        check_id = check(c, dataset.write(tmp_path / "good", data))
        checking = [r[1:] for r in reported if r[0] == check_id]
        phases = [p for p, *_ in checking]
        assert phases[0] == "检查管辖范围"
        assert "检查 members.csv" in phases and "写入数据库" not in phases
        members = [r for r in checking if r[0] == "检查 members.csv"][-1]
        assert members[1] == members[2] == len(data["members"])
        status = members[3]
        assert status["kind"] == "检查" and status["state"] == "检查中"
        assert status["percent"] == 100 and not status["finished"]
        assert status["label"] == f"检查 members.csv {members[1]:,} / {members[2]:,} 行"
        job = ImportJob.objects.get(pk=check_id)  # the last figures are kept with the end
        assert job.done == job.total == checking[-1][2] and job.phase == "检查通过"

        import_id = start(c, check_id)
        wait_until_finished(c, import_id)
        importing = [r[1:] for r in reported if r[0] == import_id]
        assert importing[0][0] == "检查管辖范围"
        assert "检查 members.csv" in [p for p, *_ in importing]
        writing = [r for r in importing if r[0] == "写入数据库"][-1][3]
        assert writing["state"] == "写入中" and writing["label"].startswith("写入数据库 ")

    def test_only_the_first_500_problems_are_kept_with_the_total(self, client, registry, tmp_path):
        data = county_a_rows()
        data["members"] = [dict(m, sex="未知") for m in data["members"] for _ in range(120)]
        c = client_for(client, county_admin())
        job_id = check(c, dataset.write(tmp_path / "bad", data))
        job = ImportJob.objects.get(pk=job_id)
        assert job.problem_count > 500 and len(job.problems) == 500
        text = c.get(f"/import/jobs/{job_id}/").content.decode()
        assert f"发现 {job.problem_count} 个问题（只列出前 500 个）" in text
        assert text.split('id="problems"')[1].count("<tr><td>members.csv</td>") == 500

    def test_rows_outside_the_users_region_are_refused_before_anything_else(
        self, client, registry, tmp_path, monkeypatch
    ):
        called = []
        monkeypatch.setattr(jobs.uploads, "check", lambda *a, **k: called.append(a))
        c = client_for(client, county_admin())
        job_id = job_of(upload(c, dataset.write(tmp_path / "all", rows())))  # with 施甸县's H900
        last = wait_until_finished(c, job_id)[-1]
        assert last["state"] == "失败" and not last["passed"]
        assert last["label"] == "超出管辖范围，不能导入"
        assert not called  # the importer's check never ran
        text = c.get(f"/import/jobs/{job_id}/").content.decode()
        assert "不在您的管辖范围内" in text and "不能导入" in text
        assert 'id="import-form"' not in text
        assert AuditLog.objects.get(action="导入检查").detail.endswith("行不在管辖范围内")

    def test_another_countys_user_gets_404_for_the_check_and_cannot_import_it(
        self, client, registry, tmp_path, outsider
    ):
        c = client_for(client, county_admin())
        check_id = check(c, dataset.write(tmp_path / "good", county_a_rows()))
        other = client_for(client, outsider)
        assert other.get(f"/import/jobs/{check_id}/").status_code == 404
        assert other.get(f"/import/jobs/{check_id}/status/").status_code == 404
        assert f"/import/jobs/{check_id}/" not in other.get("/import/").content.decode()
        answer = other.post("/import/", {"step": "import", "check": str(check_id)})
        assert answer.status_code == 404
        assert not ImportJob.objects.filter(kind="导入").exists()

    def test_an_administrator_sees_a_village_users_check_but_does_not_import_it(
        self, client, registry, tmp_path
    ):
        village_admin = create_user("village_admin", PASSWORD, "系统管理员", dataset.VILLAGE_A)
        data = county_a_rows()
        data["regions"] = [
            r for r in data["regions"] if r["level"] != "村" or r["code"] == dataset.VILLAGE_A
        ]
        data["households"] = [
            h for h in data["households"] if h["region_code"] == dataset.VILLAGE_A
        ]
        kept = {h["household_id"] for h in data["households"]}
        data["members"] = [m for m in data["members"] if m["household_id"] in kept]
        own = client_for(client, village_admin)
        check_id = check(own, dataset.write(tmp_path / "village", data))
        assert ImportJob.objects.get(pk=check_id).passed
        assert 'id="import-form"' in own.get(f"/import/jobs/{check_id}/").content.decode()

        admin = client_for(client, county_admin())
        text = admin.get(f"/import/jobs/{check_id}/").content.decode()
        assert "检查通过" in text and 'id="import-form"' not in text
        refused = admin.post("/import/", {"step": "import", "check": str(check_id)}, follow=True)
        assert "只能导入您自己上传并检查过的数据" in refused.content.decode()
        assert not ImportJob.objects.filter(kind="导入").exists()


@pytest.mark.django_db(transaction=True)
class TestImportInTheBackground:
    def test_a_passed_check_is_imported_by_a_thread_the_page_follows(
        self, client, registry, tmp_path
    ):
        data = county_a_rows()
        data["households"][0]["wage_income"] = "7000"
        folder = dataset.write(tmp_path / "good", data)
        c = client_for(client, county_admin())
        runs_before = ImportRun.objects.count()
        check_id = check(c, folder)
        assert Household.objects.get(household_id="H001").wage_income == 6000  # not yet

        job_id = start(c, check_id)
        seen = wait_until_finished(c, job_id)
        last = seen[-1]
        assert last["kind"] == "导入" and last["state"] == "完成"
        assert last["committed"] and last["percent"] == 100
        assert all(0 <= s["percent"] <= 100 for s in seen if s["percent"] is not None)

        job = ImportJob.objects.get(pk=job_id)
        assert job.started_at and job.finished_at and job.problem_count == 0
        assert job.token == ImportJob.objects.get(pk=check_id).token
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
        assert 'value="100"' in text and "导入完成" in text and 'id="import-form"' not in text
        with (folder / "households.csv").open(encoding="utf-8") as f:
            assert len(list(csv.DictReader(f))) == 3  # the user's files, untouched

    def test_another_countys_user_gets_404_for_the_job_and_its_status(
        self, client, registry, tmp_path, outsider
    ):
        c = client_for(client, county_admin())
        job_id = start(c, check(c, dataset.write(tmp_path / "good", county_a_rows())))
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
        c = client_for(client, county_admin())
        check_id = check(c, dataset.write(tmp_path / "good", data))
        token = ImportJob.objects.get(pk=check_id).token
        data["households"][0]["wage_income"] = "很多"
        uploaded = ("regions", "households", "members")
        dataset.write(jobs.uploads.upload_root() / token, {t: data[t] for t in uploaded})
        job_id = start(c, check_id)
        last = wait_until_finished(c, job_id)[-1]
        assert last["state"] == "失败" and not last["committed"] and last["problem_count"] >= 1
        text = c.get(f"/import/jobs/{job_id}/").content.decode()
        assert '<td>households.csv</td><td class="num">2</td><td>wage_income</td>' in text
        assert "未写入任何数据" in text and 'id="import-done"' not in text
        assert Household.objects.get(household_id="H001").wage_income == 6000

    def test_rows_outside_the_users_region_are_refused_by_the_job_too(
        self, client, registry, tmp_path
    ):
        c = client_for(client, county_admin())
        check_id = check(c, dataset.write(tmp_path / "good", county_a_rows()))
        token = ImportJob.objects.get(pk=check_id).token
        outside = rows()  # with 施甸县's household H900, swapped in after the check
        uploaded = ("regions", "households", "members")
        dataset.write(jobs.uploads.upload_root() / token, {t: outside[t] for t in uploaded})
        job_id = start(c, check_id)
        last = wait_until_finished(c, job_id)[-1]
        assert last["state"] == "失败" and not last["committed"]
        text = c.get(f"/import/jobs/{job_id}/").content.decode()
        assert "不在您的管辖范围内" in text and "不能导入" in text
        assert AuditLog.objects.get(action="导入").detail.endswith("行不在管辖范围内")

    def test_no_check_or_import_starts_while_another_job_is_running(
        self, client, registry, tmp_path
    ):
        c = client_for(client, county_admin())
        folder = dataset.write(tmp_path / "good", county_a_rows())
        check_id = check(c, folder)
        jobs_before = ImportJob.objects.count()
        uploads_before = set(jobs.uploads.upload_root().iterdir())
        for running in ("导入", "检查"):
            jobs._live[-1] = {"kind": running, "state": "检查中", "phase": "检查", "done": 1}
            try:
                refused = c.post(
                    "/import/", {"step": "import", "check": str(check_id)}, follow=True
                )
                assert f"已有一个{running}正在进行，请等它完成后再导入" in refused.content.decode()
                answer = upload(c, folder)
                assert answer.status_code == 302 and answer["Location"] == "/import/"
                assert (
                    f"已有一个{running}正在进行，请等它完成后再检查"
                    in c.get("/import/").content.decode()
                )
            finally:
                jobs._live.pop(-1)
        assert ImportJob.objects.count() == jobs_before
        assert set(jobs.uploads.upload_root().iterdir()) == uploads_before  # nothing stored


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


def test_a_job_cut_off_by_a_restart_is_shown_as_failed(client, registry):
    admin = county_admin()
    job = ImportJob.objects.create(
        user=admin, region_code=dataset.COUNTY, token="abc", source="x.xlsx", state="写入中"
    )
    answer = client_for(client, admin).get(f"/import/jobs/{job.pk}/status/").json()
    assert answer["finished"] and answer["state"] == "失败"
    assert "导入被中断（服务已重启）" in answer["error"]


def test_a_check_cut_off_by_a_restart_asks_for_the_upload_again(client, registry):
    admin = county_admin()
    job = ImportJob.objects.create(
        user=admin, region_code=dataset.COUNTY, kind="检查", token="abc", source="x", state="检查中"
    )
    answer = client_for(client, admin).get(f"/import/jobs/{job.pk}/status/").json()
    assert answer["finished"] and answer["state"] == "失败" and not answer["passed"]
    assert answer["error"] == "检查被中断（服务已重启），未写入任何数据，请重新上传"
    assert answer["label"] == "检查未完成"


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


@pytest.mark.django_db(transaction=True)
def test_an_unreadable_workbook_ends_the_check_with_a_clear_error(client, registry, tmp_path):
    broken = tmp_path / "数据.xlsx"
    broken.write_bytes(b"not a workbook")
    c = client_for(client, county_admin())
    job_id = job_of(upload(c, tmp_path, names=("数据.xlsx",)))
    last = wait_until_finished(c, job_id)[-1]
    assert last["state"] == "失败" and not last["passed"] and last["label"] == "检查未完成"
    assert "数据.xlsx" in last["error"], last["error"]
    text = c.get(f"/import/jobs/{job_id}/").content.decode()
    assert 'id="job-error"' in text and 'id="import-form"' not in text


@pytest.mark.django_db(transaction=True)
class TestUploadsAreNotKeptForEver:
    def test_a_refused_check_and_an_imported_upload_leave_no_files_behind(
        self, client, registry, tmp_path
    ):
        c = client_for(client, county_admin())
        bad = county_a_rows()
        bad["households"][0]["wage_income"] = "很多"
        refused = check(c, dataset.write(tmp_path / "bad", bad))
        assert not (jobs.uploads.upload_root() / ImportJob.objects.get(pk=refused).token).exists()

        passed = check(c, dataset.write(tmp_path / "good", county_a_rows()))
        kept = jobs.uploads.upload_root() / ImportJob.objects.get(pk=passed).token
        assert kept.is_dir()  # waiting to be imported
        wait_until_finished(c, start(c, passed))
        assert not kept.exists()

    def test_old_uploads_go_with_the_next_upload_with_those_of_jobs_cut_off_by_a_restart(
        self, client, registry, tmp_path
    ):
        """A job can only be running in this process while no other check may start (one job at
        a time), so a job still marked running when a check starts was cut off by a restart: it
        is failed, and its upload goes with the other old ones."""
        root = jobs.uploads.upload_root()
        week_ago = time.time() - jobs.uploads.UPLOAD_KEPT.total_seconds() - 60
        for token in ("0ld", "0ldcut", "recent"):
            (root / token).mkdir(parents=True)
            (root / token / "members.csv").write_text("x", encoding="utf-8")
        for token in ("0ld", "0ldcut"):
            os.utime(root / token, (week_ago, week_ago))
        admin = county_admin()
        cut = ImportJob.objects.create(
            user=admin, region_code=dataset.COUNTY, token="0ldcut", source="x", state="写入中"
        )
        check(client_for(client, admin), dataset.write(tmp_path / "good", county_a_rows()))
        left = {p.name for p in root.iterdir()}
        assert "0ld" not in left and "0ldcut" not in left
        assert "recent" in left
        cut.refresh_from_db()
        assert cut.state == "失败" and "服务已重启" in cut.error

"""Ledger pages, scoped by the user's region and unit: an outsider gets 404 on every page."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.governance.actions import do_add_evidence, do_record_exit_step, do_start_county_exit
from fupin.governance.models import Problem, Task
from tests.governance.personas import LONGCHUAN, YUNNAN, personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(seeded):
    return personas()


def login(client, user):
    client.force_login(user)
    return client


def longchuan_problem():
    return Problem.objects.get(plan__key="seed-003", number="(三)1")


def provincial_task():
    return Task.objects.get(task_list__key="seed-002", number="(三)6")


@pytest.fixture
def county_exit(people):
    ce = do_start_county_exit(
        acting_user=people["province"], county_code=LONGCHUAN, county_name="陇川县", year=2018
    )
    do_record_exit_step(
        ce, acting_user=people["province"], step="self_check", decided_on=dt.date(2018, 11, 20)
    )
    return ce


class TestLedgerPages:
    def test_the_county_clerk_sees_the_countys_ledger(self, client, people):
        r = login(client, people["clerk"]).get("/governance/ledger/")
        assert r.status_code == 200
        text = r.content.decode()
        assert "贫困退出把关不严格" in text
        assert "共 19 个问题" in text

    def test_the_ledger_filters_by_status(self, client, people):
        r = login(client, people["clerk"]).get("/governance/ledger/?status=closed")
        assert "共 0 个问题" in r.content.decode()

    def test_the_outsider_sees_an_empty_ledger_and_gets_404_on_an_item(self, client, people):
        c = login(client, people["outsider"])
        assert "共 0 个问题" in c.get("/governance/ledger/").content.decode()
        assert c.get(f"/governance/ledger/{longchuan_problem().pk}/").status_code == 404

    def test_the_outsider_cannot_act_on_an_item(self, client, people):
        p = longchuan_problem()
        r = login(client, people["outsider"]).post(
            f"/governance/ledger/{p.pk}/note/", {"text": "越权记录"}
        )
        assert r.status_code == 404
        assert not p.notes.exists()

    def test_closing_on_the_page_without_evidence_is_refused_with_the_rule(self, client, people):
        p = longchuan_problem()
        c = login(client, people["clerk"])
        r = c.post(
            f"/governance/ledger/{p.pk}/close/", {"approver": people["reviewer"].pk}, follow=True
        )
        assert "没有佐证材料，不能销号" in r.content.decode()
        p.refresh_from_db()
        assert p.status == "open"

    def test_closing_on_the_page_with_evidence_and_an_approver_closes(self, client, people):
        p = longchuan_problem()
        do_add_evidence(p, "表.pdf", b"...", "核实表", acting_user=people["clerk"])
        login(client, people["clerk"]).post(
            f"/governance/ledger/{p.pk}/close/", {"approver": people["reviewer"].pk}
        )
        p.refresh_from_db()
        assert (p.status, p.approved_by) == ("closed", people["reviewer"])

    def test_the_ledger_downloads_as_a_workbook(self, client, people):
        r = login(client, people["clerk"]).get("/governance/ledger/export.xlsx?status=open")
        assert r.status_code == 200
        assert b"".join(r.streaming_content).startswith(b"PK")


class TestSiteProfile:
    def test_a_site_user_of_the_county_without_a_unit_sees_the_countys_ledger(
        self, client, people, django_user_model
    ):
        from django.apps import apps

        if not apps.is_installed("fupin.web"):
            pytest.skip("the site app is not installed")
        from fupin.registry.models import Region
        from fupin.web.models import UserProfile

        province = Region.objects.create(code=YUNNAN, name="云南省", level="省")
        city = Region.objects.create(
            code="533100000000", name="德宏州", level="市", parent=province
        )
        county = Region.objects.create(code=LONGCHUAN, name="陇川县", level="县", parent=city)
        viewer = django_user_model.objects.create_user("county-viewer")
        UserProfile.objects.create(user=viewer, region=county, roles="领导")
        c = login(client, viewer)
        assert "共 19 个问题" in c.get("/governance/ledger/").content.decode()
        assert c.get(f"/governance/ledger/{longchuan_problem().pk}/").status_code == 200

    def test_a_site_reviewer_may_approve_a_closing(self, people, django_user_model):
        from django.apps import apps

        if not apps.is_installed("fupin.web"):
            pytest.skip("the site app is not installed")
        from fupin.governance.actions import do_close_problem
        from fupin.registry.models import Region
        from fupin.web.models import UserProfile

        province = Region.objects.create(code=YUNNAN, name="云南省", level="省")
        reviewer = django_user_model.objects.create_user("site-reviewer")
        UserProfile.objects.create(user=reviewer, region=province, roles="审核员")
        p = longchuan_problem()
        do_add_evidence(p, "表.pdf", b"...", "核实表", acting_user=people["clerk"])
        do_close_problem(p, acting_user=people["clerk"], approver=reviewer)
        p.refresh_from_db()
        assert p.approved_by == reviewer


class TestTaskPages:
    def test_a_county_bureau_sees_the_provincial_task_it_co_operates_on_only_through_its_unit(
        self, client, people
    ):
        # the province's officer sees the provincial task; the county clerk does not
        assert (
            login(client, people["province"])
            .get(f"/governance/tasks/{provincial_task().pk}/")
            .status_code
            == 200
        )
        client.logout()
        assert (
            login(client, people["clerk"])
            .get(f"/governance/tasks/{provincial_task().pk}/")
            .status_code
            == 404
        )

    def test_the_task_page_shows_units_and_reports_and_takes_a_report(self, client, people):
        c = login(client, people["province"])
        t = provincial_task()
        r = c.post(
            f"/governance/tasks/{t.pk}/report/",
            {
                "organisation": people["province"].governance_memberships.get().organisation.pk,
                "period": "2016H1",
                "text": "信息平台建成",
            },
            follow=True,
        )
        page = r.content.decode()
        assert "进展已报送" in page
        assert "信息平台建成" in page and "省委组织部" in page

    def test_the_task_list_filters_by_list_and_due_date(self, client, people):
        c = login(client, people["province"])
        r = c.get("/governance/tasks/?list=seed-002&due_before=2016-12-31")
        text = r.content.decode()
        assert "共 1 项" in text  # (一)2.(2), the 2016 安居 project
        assert "西盟、孟连" in text

    def test_the_outsider_sees_no_tasks_of_yunnan(self, client, people):
        r = login(client, people["outsider"]).get("/governance/tasks/?list=seed-002")
        assert "共 0 项" in r.content.decode()

    def test_a_stranger_must_log_in(self, client, people):
        r = client.get("/governance/tasks/")
        assert r.status_code == 302

    def test_the_home_page_warns_of_deadlines_passed_without_a_report(self, client, people):
        r = login(client, people["province"]).get("/governance/")
        text = r.content.decode()
        assert r.status_code == 200
        assert "预警：到期未报送" in text
        assert "尚未报送" in text or "未完成且无进展报送" in text


class TestExitPages:
    def test_the_county_exit_page_shows_the_timeline(self, client, people, county_exit):
        r = login(client, people["clerk"]).get(f"/governance/exits/{county_exit.pk}/")
        text = r.content.decode()
        assert r.status_code == 200
        assert "自查和整改" in text and "县级申请" in text and "2018-12-15" in text
        assert "国家抽查" not in text  # a provincial poor county

    def test_the_exit_list_shows_where_each_county_stands(self, client, people, county_exit):
        text = login(client, people["clerk"]).get("/governance/exits/").content.decode()
        assert "陇川县" in text and "县级申请" in text

    def test_the_outsider_gets_404_on_the_county_exit_page(self, client, people, county_exit):
        r = login(client, people["outsider"]).get(f"/governance/exits/{county_exit.pk}/")
        assert r.status_code == 404
        assert (
            "陇川县"
            not in login(client, people["outsider"]).get("/governance/exits/").content.decode()
        )

    def test_the_circular_downloads_as_pdf(self, client, people):
        r = login(client, people["clerk"]).get("/governance/circular.pdf?month=2018-06")
        assert r.status_code == 200
        assert b"".join(r.streaming_content).startswith(b"%PDF")


class TestRecordingExitSteps:
    def advance_to_verification(self, ce, user):
        for step, day, docs in (
            ("application", dt.date(2018, 12, 10), ["退出申请报告"]),
            ("city_review", dt.date(2018, 12, 28), []),
        ):
            do_record_exit_step(ce, acting_user=user, step=step, decided_on=day, documents=docs)

    def test_the_province_records_verification_and_a_2_4_percent_county_is_stopped(
        self, client, people, county_exit
    ):
        self.advance_to_verification(county_exit, people["province"])
        r = login(client, people["province"]).post(
            f"/governance/exits/{county_exit.pk}/record/",
            {
                "step": "provincial_verification",
                "decided_on": "2019-02-15",
                "deciding_body": "省扶贫开发领导小组",
                "incidence": "2.4",
                "documents": ["全国扶贫开发信息系统数据"],
            },
            follow=True,
        )
        text = r.content.decode()
        assert "不予退出" in text and "贫困发生率超过2%" in text
        county_exit.refresh_from_db()
        assert county_exit.outcome == "rejected"
        step = county_exit.steps.get(step="provincial_verification")
        assert (step.decided_by, step.figures["incidence"]) == (people["province"], 2.4)

    def test_an_uploaded_application_report_is_kept_with_the_step(
        self, client, people, county_exit, fupin_home
    ):
        login(client, people["province"]).post(
            f"/governance/exits/{county_exit.pk}/record/",
            {
                "step": "application",
                "decided_on": "2018-12-12",
                "documents": ["退出申请报告"],
                "files": SimpleUploadedFile("申请报告.pdf", b"%PDF-1.4 report"),
            },
        )
        step = county_exit.steps.get(step="application")
        doc = step.files.get()
        assert (fupin_home / "media" / doc.file.name).read_bytes() == b"%PDF-1.4 report"
        assert "申请报告.pdf" in step.documents

    def test_a_clerk_without_the_reviewer_role_cannot_record_a_step(
        self, client, people, county_exit
    ):
        r = login(client, people["clerk"]).post(
            f"/governance/exits/{county_exit.pk}/record/",
            {"step": "application", "decided_on": "2018-12-12", "documents": ["退出申请报告"]},
        )
        assert r.status_code == 403
        assert not county_exit.steps.filter(step="application").exists()

    def test_the_outsider_cannot_record_a_step(self, client, people, county_exit):
        r = login(client, people["outsider"]).post(
            f"/governance/exits/{county_exit.pk}/record/",
            {"step": "application", "decided_on": "2018-12-12", "documents": ["退出申请报告"]},
        )
        assert r.status_code == 404

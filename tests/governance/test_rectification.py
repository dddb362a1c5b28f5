"""Rectification ledger: closing (销号) only with evidence and an approver; reopening."""

import datetime as dt

import pytest
from openpyxl import load_workbook

from fupin.governance.actions import (
    GovernanceError,
    do_add_evidence,
    do_close_problem,
    do_register_problem,
    do_reopen_problem,
)
from fupin.governance.circulars import build_circular, closing_rate
from fupin.governance.exports import write_ledger_xlsx
from fupin.governance.models import AuditEntry, Problem
from tests.governance.personas import LONGCHUAN, personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(seeded):
    return personas()


def first_problem():
    return Problem.objects.get(plan__key="seed-003", number="(三)1")


class TestClosing:
    def test_an_item_without_evidence_cannot_be_closed(self, people):
        p = first_problem()
        with pytest.raises(GovernanceError, match="没有佐证材料"):
            do_close_problem(p, acting_user=people["clerk"], approver=people["reviewer"])
        p.refresh_from_db()
        assert p.status == "open"

    def test_an_item_without_an_approver_cannot_be_closed(self, people):
        p = first_problem()
        do_add_evidence(
            p, "核实表.pdf", b"%PDF-1.4 ...", "错退户逐户核实表", acting_user=people["clerk"]
        )
        with pytest.raises(GovernanceError, match="审核人"):
            do_close_problem(p, acting_user=people["clerk"], approver=None)
        assert first_problem().status == "open"

    def test_the_clerk_cannot_approve_their_own_closing(self, people):
        p = first_problem()
        do_add_evidence(p, "核实表.pdf", b"...", "错退户逐户核实表", acting_user=people["reviewer"])
        with pytest.raises(GovernanceError, match="不能是销号经办人本人"):
            do_close_problem(p, acting_user=people["reviewer"], approver=people["reviewer"])

    def test_a_clerk_without_the_reviewer_role_cannot_approve(self, people, django_user_model):
        p = first_problem()
        do_add_evidence(p, "核实表.pdf", b"...", "错退户逐户核实表", acting_user=people["clerk"])
        other = django_user_model.objects.create_user("someone")
        with pytest.raises(GovernanceError, match="没有审核销号的权限"):
            do_close_problem(p, acting_user=people["clerk"], approver=other)

    def test_evidence_and_an_approver_close_the_item_and_the_audit_names_them(
        self, people, fupin_home
    ):
        p = first_problem()
        ev = do_add_evidence(
            p, "核实表.pdf", b"%PDF-1.4", "错退户逐户核实表", acting_user=people["clerk"]
        )
        assert (fupin_home / "media" / ev.file.name).read_bytes() == b"%PDF-1.4"
        do_close_problem(p, acting_user=people["clerk"], approver=people["reviewer"])
        p.refresh_from_db()
        assert (p.status, p.closed_by, p.approved_by) == (
            "closed",
            people["clerk"],
            people["reviewer"],
        )
        entry = AuditEntry.objects.filter(action="close_problem", object_id=str(p.pk)).get()
        assert entry.acting_user == people["clerk"]
        assert entry.details["approver"] == "reviewer"


class TestReopening:
    def close(self, p, people):
        do_add_evidence(p, "佐证.pdf", b"...", "整改佐证", acting_user=people["clerk"])
        do_close_problem(p, acting_user=people["clerk"], approver=people["reviewer"])

    def test_a_reopened_item_counts_as_open_in_the_circular(self, people):
        problems = Problem.objects.filter(plan__key="seed-003")
        for p in problems.filter(group_number="(一)"):  # six problems
            self.close(p, people)
        assert closing_rate(problems)[:2] == (6, 19)
        do_reopen_problem(
            problems.get(number="(一)1"),
            "复核发现仍有帮扶措施不精准",
            acting_user=people["reviewer"],
        )
        circular = build_circular("2018-06", region_code=LONGCHUAN)
        assert (circular.problems_closed, circular.problems_total) == (5, 19)
        assert circular.problems_reopened == 1
        assert circular.closing_rate == pytest.approx(5 / 19)
        office = next(r for r in circular.units if r.unit == "县扶贫办")
        assert office.problems_closed == 5  # it shares all six; (一)1 is open again

    def test_closing_again_needs_new_evidence(self, people):
        p = first_problem()
        self.close(p, people)
        do_reopen_problem(p, "核查发现错退户未纠正", acting_user=people["reviewer"])
        with pytest.raises(GovernanceError, match="新的佐证材料"):
            do_close_problem(p, acting_user=people["clerk"], approver=people["reviewer"])
        self.close(p, people)
        p.refresh_from_db()
        assert (p.status, p.reopen_count) == ("closed", 1)

    def test_only_a_closed_item_can_be_reopened(self, people):
        with pytest.raises(GovernanceError, match="只有已销号"):
            do_reopen_problem(first_problem(), "核查", acting_user=people["reviewer"])


class TestRegisteringAndExporting:
    def test_a_comparison_finding_enters_the_ledger_with_its_reference(self, people):
        p = do_register_problem(
            acting_user=people["clerk"],
            text="教育部门学籍数据显示2名义务教育阶段适龄儿童未在校",
            source_kind="comparison",
            source_ref="finding:dropout-suspect:42",
            region_code=LONGCHUAN,
            due=dt.date(2018, 6, 10),
        )
        assert Problem.objects.open().filter(pk=p.pk).exists()
        assert p.get_source_kind_display() == "比对发现"

    def test_a_finding_with_its_own_figures_exports_them_as_written(self, people, tmp_path):
        do_register_problem(
            acting_user=people["clerk"],
            text="项目资金结转结余率超过8%",
            source_kind="inspection",
            source_ref="funds:carry_over:533124000000:2017",
            region_code=LONGCHUAN,
            figures=[{"规则": "结转结余率", "出处": "004 第31项", "金额": "120000"}],
        )
        out = write_ledger_xlsx(Problem.objects.filter(plan=None), tmp_path / "台账.xlsx")
        row = list(load_workbook(out)["问题清单"].values)[1]
        assert row[3] == "规则：结转结余率，出处：004 第31项，金额：120000"
        assert row[4] == "督查巡查"

    def test_the_ledger_exports_as_the_three_lists_with_deadlines(self, people, tmp_path):
        out = write_ledger_xlsx(
            Problem.objects.filter(plan__key="seed-003"), tmp_path / "台账.xlsx"
        )
        wb = load_workbook(out)
        assert wb.sheetnames == ["问题清单", "责任清单", "整改清单"]
        problems = list(wb["问题清单"].values)
        assert len(problems) == 1 + 19
        wrong_exit = next(r for r in problems if r[0] == "(三)1")
        assert "20.12" in wrong_exit[3]
        duties = {r[0]: r for r in wb["责任清单"].values}
        assert duties["(七)2"][2] == "县人社局" and duties["(七)2"][4] == "2018-09-30"
        assert duties["(一)"][4] == "长期坚持"
        rect = {r[0]: r for r in wb["整改清单"].values}
        assert rect["(一)3"][3] == "县易地扶贫搬迁指挥部"
        assert rect["(一)3"][5] == "2018-06-10"
        assert rect["(一)3"][6] == "整改中"

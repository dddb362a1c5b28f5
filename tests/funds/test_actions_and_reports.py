"""Funds actions (atomic, audited), the fund performance figures, the ledger, and region scoping."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from fupin.funds.actions import (
    FundsActionError,
    do_disburse,
    do_record_payment,
    do_register_findings,
    do_set_milestone,
)
from fupin.funds.checks import run_checks
from fupin.funds.models import Allocation, Disbursement, FundsLog, Payment, Project
from fupin.funds.reports import fund_performance, fund_performance_within, ledger_workbook
from fupin.registry.models import Member, Region
from tests.funds.registry_county import CITY, COUNTY, VILLAGES, person_id


@pytest.mark.django_db
class TestFundsActionsAndReports:
    def test_a_disbursement_beyond_the_allocation_is_refused_and_nothing_is_written(
        self, demo_county
    ):
        allocation = Allocation.objects.filter(
            county_id=demo_county, fund_year=2017, source="中央"
        ).first()
        left = allocation.amount - sum(d.amount for d in allocation.disbursements.all())
        before = Disbursement.objects.count()
        with pytest.raises(FundsActionError, match="拨付后超过下达金额"):
            do_disburse(allocation, left + Decimal("0.01"), dt.date(2017, 12, 1), acting_user=None)
        assert Disbursement.objects.count() == before
        if left > 0:
            do_disburse(allocation, left, dt.date(2017, 12, 1), acting_user=None)
            assert FundsLog.objects.filter(action="拨付").count() == 1

    def test_a_payment_is_matched_to_the_registry_member_by_id_number(self, county):
        head = Member.objects.filter(relation="户主", household__region_id=VILLAGES[1]).first()
        paid = do_record_payment(
            Region.objects.get(code=COUNTY),
            kind="产业奖补",
            fund_year=2017,
            payee_name=head.name,
            payee_id_number=head.id_number.lower(),
            amount=Decimal("1500"),
            paid_on=dt.date(2017, 6, 1),
            acting_user=None,
        )
        assert (
            paid.member == head
            and paid.household == head.household
            and paid.village_id == VILLAGES[1]
        )
        stranger = do_record_payment(
            Region.objects.get(code=COUNTY),
            kind="产业奖补",
            fund_year=2017,
            payee_name="外人",
            payee_id_number=person_id(1980, 777),
            amount=Decimal("1500"),
            paid_on=dt.date(2017, 6, 1),
            acting_user=None,
            village=Region.objects.get(code=VILLAGES[1]),
        )
        assert stranger.member is None
        flagged = [f for f in run_checks(COUNTY, 2017) if f.rule == "payment_not_in_registry"]
        assert len(flagged) == 1 and "外人" in flagged[0].subject

    def test_acceptance_cannot_come_before_completion(self, demo_county):
        project = Project.objects.filter(county_id=demo_county, plan_year=2017).first()
        with pytest.raises(FundsActionError, match="不能早于完工日期"):
            do_set_milestone(
                project,
                "accepted_on",
                project.completed_on - dt.timedelta(days=1),
                acting_user=None,
            )
        do_set_milestone(project, "completed_on", project.completed_on, acting_user=None)
        assert Project.objects.get(pk=project.pk).status == "已完工"

    def test_findings_enter_the_rectification_ledger_once(self, demo_county):
        from fupin.governance.models import Problem

        Payment.objects.create(
            county_id=demo_county,
            kind="产业奖补",
            fund_year=2017,
            payee_name="冒领人",
            payee_id_number=person_id(1970, 901),
            village_id=VILLAGES[0],
            amount=Decimal("2000.00"),
            paid_on=dt.date(2017, 7, 1),
        )
        findings = run_checks(demo_county, 2017)
        assert do_register_findings(findings, acting_user=None) == 1
        assert do_register_findings(run_checks(demo_county, 2017), acting_user=None) == 0
        problem = Problem.objects.get()
        assert problem.source_kind == "inspection" and "冒领人" in problem.text
        assert problem.region_code == VILLAGES[0]

    def test_the_performance_figures_of_a_generated_county_are_clean(self, demo_county):
        figures = fund_performance(demo_county, 2017)
        assert figures["reconciled"] and figures["notice_ok"] and figures["finding_total"] == 0
        assert figures["allocated"] == sum(figures["by_source"].values())
        assert Decimal("0.92") <= figures["spend_rate"] <= 1
        assert [c["fund_year"] for c in figures["carryover"]] == [2015, 2016, 2017]
        assert all(c["within_limit"] for c in figures["carryover"])
        assert figures["carryover"][0]["carried_over"] == 0  # 2015 funds: nothing may be left
        assert figures["integration"]["plan_ratio"] >= Decimal("0.8")
        assert figures["acceptance_rate"] == 1
        assert [f["county"] for f in fund_performance_within(CITY, 2017)] == [COUNTY]

    def test_the_performance_figures_show_a_broken_book(self, demo_county):
        allocation = Allocation.objects.filter(county_id=demo_county, fund_year=2017).first()
        allocation.amount += Decimal("1.00")
        allocation.save()
        figures = fund_performance(demo_county, 2017)
        assert not figures["reconciled"] and figures["findings"] == {"funds_not_reconciled": 1}

    def test_the_project_ledger_lists_every_project_with_its_money(self, demo_county, tmp_path):
        path = ledger_workbook(tmp_path / "台账.xlsx", demo_county, 2017)
        rows = list(load_workbook(path).active.iter_rows(values_only=True))
        assert rows[0][:3] == ("项目编号", "项目名称", "类型")
        assert len(rows) - 1 == Project.objects.filter(plan_year=2017).count()
        first = Project.objects.filter(plan_year=2017).order_by("code").first()
        assert rows[1][0] == first.code and rows[1][5] == float(first.budget)


@pytest.mark.django_db
class TestFundsPagesByRole:
    def _user(self, name: str, role: str, region: str):
        from fupin.web.accounts import create_user

        return create_user(name, "Pass-word-12345", role, region)

    def test_a_county_leader_sees_the_county_and_an_outsider_is_refused(self, demo_county, client):
        Region.objects.create(code="360727000000", name="龙南县", level="县", parent_id=CITY)
        client.force_login(self._user("leader", "领导", COUNTY))
        assert client.get(f"/funds/{COUNTY}/?year=2017").status_code == 200
        client.force_login(self._user("outsider", "领导", "360727000000"))
        assert client.get(f"/funds/{COUNTY}/?year=2017").status_code == 404
        assert client.get(f"/funds/notices/{VILLAGES[0]}/2017.pdf").status_code == 404

    def test_a_village_clerk_cannot_open_the_county_page(self, demo_county, client):
        client.force_login(self._user("clerk", "数据录入员", VILLAGES[0]))
        assert client.get(f"/funds/{COUNTY}/").status_code == 404
        assert client.get(f"/funds/notices/{VILLAGES[0]}/2017.pdf").status_code == 200

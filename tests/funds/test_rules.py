"""Each funds rule, written from the seed text, on a generated county broken one thing at a time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fupin.funds import figures
from fupin.funds.checks import run_checks
from fupin.funds.models import (
    Allocation,
    CarryOver,
    Disbursement,
    IntegrationPlan,
    Notice,
    Payment,
    Project,
)
from fupin.registry.models import Household, Member, Region
from tests.funds.registry_county import COUNTY, TOWNS, VILLAGES, person_id

YEAR_END = dt.date(2017, 12, 31)


def rules(findings) -> list[str]:
    return sorted(f.rule for f in findings)


def books(
    source: str, fund_year: int, allocated: str, disbursed: str, carried: str | None
) -> Allocation:
    """An allocation of the county, one disbursement and (optionally) the year-end carry-over."""
    allocation = Allocation.objects.create(
        county_id=COUNTY,
        source=source,
        fund_year=fund_year,
        allocated_on=dt.date(fund_year, 3, 1),
        amount=Decimal(allocated),
    )
    Disbursement.objects.create(
        allocation=allocation, disbursed_on=dt.date(fund_year, 6, 1), amount=Decimal(disbursed)
    )
    if carried is not None:
        CarryOver.objects.create(
            county_id=COUNTY,
            source=source,
            fund_year=fund_year,
            as_of=YEAR_END,
            amount=Decimal(carried),
        )
    return allocation


@pytest.mark.django_db
class TestFundsRules:
    # --- reconciliation: allocations = disbursements + carry-over, to the yuan (issue 8) ---

    def test_a_generated_county_reconciles_to_the_fen_and_breaks_no_rule(self, demo_county):
        balances = figures.fund_balances(demo_county, YEAR_END)
        assert {b.source for b in balances} >= {
            "中央",
            "省",
            "市",
            "县",
            "整合涉农资金",
            "社会帮扶",
            "信贷",
        }
        assert {b.fund_year for b in balances} == {2015, 2016, 2017}
        for b in balances:
            assert b.allocated == b.disbursed + b.carried_over, (b.source, b.fund_year)
        assert run_checks(demo_county, 2017) == []

    def test_one_fen_disbursed_off_the_books_is_a_reconciliation_finding(self, demo_county):
        allocation = Allocation.objects.filter(
            county_id=demo_county, source="县", fund_year=2016
        ).first()
        Disbursement.objects.create(
            allocation=allocation, disbursed_on=dt.date(2016, 12, 1), amount=Decimal("0.01")
        )
        findings = run_checks(demo_county, 2017)
        assert rules(findings) == ["funds_not_reconciled"]
        assert findings[0].subject == "2016年县资金"
        assert findings[0].amount == Decimal("-0.01")
        assert "差额-0.01元" in findings[0].message

    def test_a_carry_over_not_reported_does_not_reconcile(self, county):
        books("中央", 2017, "1000.00", "1000.00", None)
        books("省", 2017, "1000.00", "990.00", None)
        findings = [f for f in run_checks(county, 2017) if f.rule == "funds_not_reconciled"]
        assert [f.subject for f in findings] == ["2017年省资金"]
        assert "未报结转结余" in findings[0].message

    # --- seed 004 item 31: 2017 funds < 8 %, 2016 < 2 %, 2015 and earlier 0 ---

    @pytest.mark.parametrize(
        ("fund_year", "carried", "broken"),
        [
            (2017, "7999.99", False),
            (2017, "8000.00", True),  # "低于8%": 8 % itself is not below
            (2016, "1999.99", False),
            (2016, "2000.00", True),
            (2015, "0.00", False),
            (2015, "0.01", True),  # "为0"
            (2014, "0.01", True),  # "2015年及以前年度"
        ],
    )
    def test_carry_over_is_judged_against_the_limit_of_its_fund_year(
        self, county, fund_year, carried, broken
    ):
        disbursed = str(Decimal("100000.00") - Decimal(carried))
        books("中央", fund_year, "100000.00", disbursed, carried)
        found = [f for f in run_checks(county, 2017) if f.rule == "carryover_over_limit"]
        assert bool(found) is broken
        assert not [f for f in run_checks(county, 2017) if f.rule == "funds_not_reconciled"]

    def test_carry_over_rate_sums_the_fiscal_sources_of_a_fund_year(self, county):
        books("中央", 2017, "60000.00", "60000.00", "0.00")
        books("省", 2017, "40000.00", "32000.00", "8000.00")  # 8000 / 100000 = 8 %
        books("社会帮扶", 2017, "50000.00", "0.00", "50000.00")  # not 财政专项扶贫资金
        found = [f for f in run_checks(county, 2017) if f.rule == "carryover_over_limit"]
        assert [f.subject for f in found] == ["2017年财政专项扶贫资金"]
        assert "8.00%" in found[0].message

    def test_funds_pre_allocated_for_next_year_are_not_judged_yet(self, county):
        books("中央", 2018, "100000.00", "0.00", "100000.00")  # 2017年底前落实2018年资金预拨到县
        assert not [f for f in run_checks(county, 2017) if f.rule == "carryover_over_limit"]

    # --- seed 004 item 33: integration ratios not below 80 % ---

    def _integration(self, in_scope: str, planned: str, integrated: str, spent: str) -> list[str]:
        IntegrationPlan.objects.create(
            county_id=COUNTY,
            year=2017,
            in_scope_amount=Decimal(in_scope),
            planned_amount=Decimal(planned),
        )
        books("整合涉农资金", 2017, integrated, spent, str(Decimal(integrated) - Decimal(spent)))
        return [f.rule for f in run_checks(COUNTY, 2017) if f.rule.startswith("integration")]

    def test_integration_at_eighty_percent_everywhere_passes(self, county):
        assert self._integration("1000000", "800000", "640000", "640000") == []

    def test_a_plan_below_eighty_percent_of_the_scope_is_a_finding(self, county):
        assert self._integration("1000000", "799999", "799999", "799999") == [
            "integration_plan_below"
        ]

    def test_integrated_and_spent_below_eighty_percent_of_the_plan_are_findings(self, county):
        found = self._integration("1000000", "900000", "719999", "600000")
        assert found == ["integration_done_below", "integration_spent_below"]

    # --- seed 003: late or missing acceptance, tendering ---

    def test_a_project_accepted_more_than_thirty_days_after_completion_is_late(self, demo_county):
        late = Project.objects.filter(county_id=demo_county, plan_year=2017).first()
        late.accepted_on = late.completed_on + dt.timedelta(days=31)
        late.save()
        on_time = Project.objects.filter(county_id=demo_county, plan_year=2016).first()
        on_time.accepted_on = on_time.completed_on + dt.timedelta(days=30)
        on_time.save()
        findings = run_checks(demo_county, 2017)
        assert rules(findings) == ["project_accepted_late"]
        assert late.code in findings[0].subject and "相隔31天" in findings[0].message

    def test_a_completed_project_never_accepted_is_a_finding(self, demo_county):
        project = Project.objects.filter(county_id=demo_county, plan_year=2017).first()
        project.accepted_on = None
        project.status = "已完工"
        project.save()
        assert rules(run_checks(demo_county, 2017)) == ["project_not_accepted"]

    def test_a_large_project_started_without_an_open_tender_is_a_finding(self, demo_county):
        project = Project.objects.filter(county_id=demo_county, plan_year=2017).first()
        project.budget = Decimal("1500000.00")
        project.procurement_method = "询价"
        project.save()
        findings = run_checks(demo_county, 2017)
        assert rules(findings) == ["tender_irregular"]
        assert "询价" in findings[0].message

    def test_a_tender_after_the_start_of_works_is_a_finding(self, demo_county):
        project = Project.objects.filter(county_id=demo_county, plan_year=2017).first()
        project.budget = Decimal("1500000.00")
        project.procurement_method = "公开招标"
        project.tender_date = project.started_on + dt.timedelta(days=1)
        project.save()
        assert rules(run_checks(demo_county, 2017)) == ["tender_irregular"]

    # --- seed 003: money held at township level ---

    def test_money_held_by_a_township_past_thirty_days_is_a_finding(self, demo_county):
        through = Disbursement.objects.filter(
            allocation__county_id=demo_county, township__isnull=False
        )
        held = through.filter(allocation__fund_year=2017).first()
        held.township_paid_on = held.disbursed_on + dt.timedelta(days=31)
        held.save()
        fine = through.filter(allocation__fund_year=2016).first()
        fine.township_paid_on = fine.disbursed_on + dt.timedelta(days=30)
        fine.save()
        findings = run_checks(demo_county, 2017)
        assert rules(findings) == ["funds_held_at_township"]
        assert "停留31天" in findings[0].message

    def test_money_a_township_has_not_paid_on_at_year_end_counts_until_the_check_date(
        self, demo_county
    ):
        held = Disbursement.objects.filter(
            allocation__county_id=demo_county, township__isnull=False, allocation__fund_year=2017
        ).first()
        held.disbursed_on = dt.date(2017, 11, 1)
        held.township_paid_on = None
        held.save()
        findings = run_checks(demo_county, 2017)
        assert rules(findings) == ["funds_held_at_township"]
        assert "仍未拨出" in findings[0].message and "停留60天" in findings[0].message

    # --- seed 000 item 33: 冒领; payments to people outside the registry or twice ---

    def _pay(self, name: str, number: str, kind: str = "产业奖补") -> Payment:
        return Payment.objects.create(
            county_id=COUNTY,
            kind=kind,
            fund_year=2017,
            payee_name=name,
            payee_id_number=number,
            village_id=VILLAGES[0],
            amount=Decimal("2000.00"),
            paid_on=dt.date(2017, 7, 1),
        )

    def test_a_payment_to_an_id_number_not_in_the_registry_is_a_finding(self, demo_county):
        self._pay("冒领人", person_id(1970, 901))
        findings = [f for f in run_checks(demo_county, 2017) if f.rule == "payment_not_in_registry"]
        assert len(findings) == 1 and "不在建档立卡系统中" in findings[0].message
        assert person_id(1970, 901) not in findings[0].subject  # the ID is masked

    def test_a_payment_whose_name_does_not_match_the_registered_id_is_a_finding(self, demo_county):
        member = Member.objects.filter(household__status="未脱贫").first()
        self._pay("别人", member.id_number)
        findings = [f for f in run_checks(demo_county, 2017) if f.rule == "payment_not_in_registry"]
        assert len(findings) == 1 and member.name in findings[0].message

    def test_the_same_person_paid_the_same_subsidy_twice_in_a_year_is_a_finding(self, demo_county):
        paid = Payment.objects.filter(
            county_id=demo_county, fund_year=2017, kind="产业奖补"
        ).first()
        self._pay(paid.payee_name, paid.payee_id_number)
        findings = [f for f in run_checks(demo_county, 2017) if f.rule == "payment_duplicate"]
        assert len(findings) == 1 and "领取2次" in findings[0].message

    def test_two_different_subsidies_to_one_person_are_not_a_duplicate(self, demo_county):
        paid = Payment.objects.filter(
            county_id=demo_county, fund_year=2017, kind="产业奖补"
        ).first()
        assert Payment.objects.filter(
            payee_id_number=paid.payee_id_number, kind="危改补助", fund_year=2017
        ).exists()
        assert not [f for f in run_checks(demo_county, 2017) if f.rule == "payment_duplicate"]

    # --- beneficiaries that are not poor households ---

    def test_a_removed_household_as_project_beneficiary_or_payee_is_a_finding(self, demo_county):
        removed = Household.objects.filter(status="清退").first()
        project = Project.objects.filter(county_id=demo_county, plan_year=2017).first()
        project.beneficiary_households.add(removed)
        head = Member.objects.get(id_number=removed.head_id_number)
        Payment.objects.create(
            county_id=demo_county,
            kind="产业奖补",
            fund_year=2017,
            payee_name=head.name,
            payee_id_number=head.id_number,
            member=head,
            household=removed,
            village_id=removed.region_id,
            amount=Decimal("1000.00"),
            paid_on=dt.date(2017, 7, 1),
        )
        found = [f for f in run_checks(demo_county, 2017) if f.rule == "beneficiary_not_poor"]
        assert len(found) == 2
        assert all("清退" in f.message for f in found)

    # --- seed 004 item 32, seed 000 item 33: notices in county and village by 31 December ---

    def test_a_project_without_a_village_notice_is_a_finding(self, demo_county):
        project = Project.objects.filter(county_id=demo_county, plan_year=2017).first()
        project.notices.remove(*project.notices.filter(level="村"))
        findings = run_checks(demo_county, 2017)
        assert rules(findings) == ["notice_missing_project"]
        assert "村级" in findings[0].message and "县级" not in findings[0].message

    def test_a_notice_published_after_31_december_does_not_count(self, demo_county):
        project = Project.objects.filter(county_id=demo_county, plan_year=2017).first()
        project.notices.filter(level="县").update(published_on=dt.date(2018, 1, 5))
        found = [
            f
            for f in run_checks(demo_county, 2017, as_of=dt.date(2018, 1, 31))
            if f.rule.startswith("notice")
        ]
        assert {f.rule for f in found} == {"notice_missing_project"}
        assert "2017-12-31前没有县级" in found[0].message

    def test_household_payments_without_a_village_notice_are_a_finding(self, demo_county):
        Notice.objects.filter(kind="到户资金", fund_year=2017, region_id=VILLAGES[0]).delete()
        assert Payment.objects.filter(village_id=VILLAGES[0], fund_year=2017).exists()
        findings = run_checks(demo_county, 2017)
        assert rules(findings) == ["notice_missing_payment"]
        assert findings[0].region_code == VILLAGES[0]

    def test_an_allocation_without_a_county_notice_is_a_finding(self, demo_county):
        Notice.objects.filter(kind="资金分配", fund_year=2017, region_id=demo_county).delete()
        assert rules(run_checks(demo_county, 2017)) == ["notice_missing_allocation"]

    def test_checks_refuse_an_unknown_county(self, db):
        with pytest.raises(ValueError, match="不在系统中"):
            run_checks("360799000000", 2017)


def test_the_fixture_county_has_the_expected_shape(county):
    assert Region.objects.filter(parent_id=COUNTY).count() == len(TOWNS)
    assert Household.objects.filter(status="清退").count() == len(VILLAGES)


@pytest.mark.django_db
class TestMoreFundsRules:
    def test_payments_adding_up_to_more_than_their_disbursement_are_a_finding(self, demo_county):
        payment = Payment.objects.filter(county_id=demo_county, fund_year=2017).first()
        payment.amount += Decimal("100.00")
        payment.save()
        findings = run_checks(demo_county, 2017)
        assert rules(findings) == ["payments_exceed_disbursement"]
        assert "多出100.00元" in findings[0].message

    def test_three_level_notices_can_be_required_by_policy_as_in_yunnan(self, demo_county):
        from dataclasses import replace

        from fupin.engine.funds.policy import load_funds_policy

        jiangxi = load_funds_policy()
        assert jiangxi.sources_list("project_notice_levels") == ("县", "村")
        yunnan_style = replace(
            jiangxi, parameters={**jiangxi.parameters, "project_notice_levels": "县、乡、村"}
        )
        project = Project.objects.filter(county_id=demo_county, plan_year=2017).first()
        project.notices.remove(*project.notices.filter(level="乡"))
        assert run_checks(demo_county, 2017) == []
        findings = run_checks(demo_county, 2017, policy=yunnan_style)
        assert rules(findings) == ["notice_missing_project"]
        assert "没有乡级项目安排公示" in findings[0].message

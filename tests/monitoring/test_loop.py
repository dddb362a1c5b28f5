"""The monitoring loop as actions on the registry: identify → verify → measures → follow-up →
风险消除 or 返贫 (through the dynamic-adjustment approval), dated and attributed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fupin.monitoring import actions, figures
from fupin.monitoring.models import Case, CaseEvent
from fupin.registry.models import Household, RecordVersion, Region, Visit
from tests.monitoring import county


def today() -> dt.date:
    return timezone.localdate()


def scan(user) -> actions.ScanResult:
    return actions.do_scan_registry(county.COUNTY, acting_user=user)


def case_of(household_id: str) -> Case:
    return Case.objects.get(household_id=household_id)


def verified(case: Case, user, on: dt.date | None = None) -> Case:
    return actions.do_verify(
        case,
        confirmed=True,
        visited_on=on or today(),
        visitor="李明",
        findings="家中两人务工收入减少",
        acting_user=user,
    )


def driver(stability, driver_id):
    return next(d for d in stability.drivers if d.id == driver_id)


class TestIdentification:
    def test_the_registry_scan_opens_a_case_for_each_planted_household(self, clerk):
        result = scan(clerk)
        cases = Case.objects.all()
        assert {c.household_id for c in cases} == set(county.PLANTED)
        assert all(c.state == Case.TO_VERIFY for c in cases)
        assert len(result.new_cases) == 3
        risks = {(c.household_id, r.risk_type, r.source) for c in cases for r in c.risks.all()}
        assert risks == {(h, t, "登记数据") for h, t in county.PLANTED.items()}

    def test_each_case_is_dated_attributed_and_due_for_verification_within_the_policy_days(
        self, clerk
    ):
        scan(clerk)
        case = case_of(county.DROP)
        assert (case.identified_on, case.identified_by) == (today(), clerk)
        assert case.verify_due == today() + dt.timedelta(days=7)
        assert case.helper is not None and case.helper.name == "李明"
        assert CaseEvent.objects.filter(case=case, action="规则识别", user=clerk).exists()

    def test_scanning_again_does_not_raise_the_same_risk_twice(self, clerk):
        scan(clerk)
        again = scan(clerk)
        assert again.new_risks == 0 and again.skipped == 3
        assert Case.objects.count() == 3

    def test_a_household_or_cadre_report_adds_a_risk_to_the_open_case(self, clerk):
        scan(clerk)
        household = Household.objects.get(household_id=county.DROP)
        case = actions.do_report_risk(
            household,
            risk_type="失业",
            source="农户申报",
            detail="户主返乡，失去务工收入",
            detected_on=today(),
            acting_user=clerk,
        )
        assert case == case_of(county.DROP)
        assert sorted(case.risks.values_list("source", flat=True)) == ["农户申报", "登记数据"]

    def test_a_household_outside_the_register_is_monitored_as_an_edge_household(self, clerk):
        village = Region.objects.get(code="530523100001")
        case = actions.do_report_edge_household(
            region=village,
            head_name="吴大山",
            people=4,
            situation="房屋因山体滑坡受损",
            risk_type="灾害",
            source="干部报告",
            detected_on=today(),
            acting_user=clerk,
        )
        assert case.household is None and case.edge.head_name == "吴大山"
        assert case.region_id == "530523100001"
        assert figures.monitoring_rates(county.COUNTY).edge == 1

    def test_an_unknown_risk_type_or_source_is_refused(self, clerk):
        household = Household.objects.get(household_id="S0001")
        with pytest.raises(actions.MonitoringError, match="风险类型"):
            actions.do_report_risk(
                household,
                risk_type="运气不好",
                source="农户申报",
                detail="",
                detected_on=today(),
                acting_user=clerk,
            )


class TestLoop:
    def test_a_full_loop_ends_with_the_risk_removed(self, clerk):
        scan(clerk)
        case = verified(case_of(county.DROP), clerk)
        assert case.state == Case.MONITORING
        assert case.next_follow_up == today() + dt.timedelta(days=30)
        actions.do_assign_measure(
            case, kind="就业扶持", description="推荐到县工业园区务工", assigned_on=today(),
            acting_user=clerk,
        )  # fmt: skip
        actions.do_follow_up(
            case, visited_on=today(), visitor="李明", findings="已上岗", acting_user=clerk
        )
        case = actions.do_remove_risk(
            case, reason="务工收入恢复", closed_on=today(), acting_user=clerk
        )
        assert case.state == Case.REMOVED and case.closed_by == clerk
        steps = list(case.events.values_list("action", flat=True))
        assert steps == ["识别", "规则识别", "入户核实", "落实措施", "跟踪回访", "风险消除"]
        # the visits are also the registry's visit records of the household
        assert Visit.objects.filter(household_id=county.DROP).count() == 2

    def test_the_risk_cannot_be_removed_before_a_follow_up_visit(self, clerk):
        scan(clerk)
        case = verified(case_of(county.DROP), clerk)
        with pytest.raises(actions.MonitoringError, match="跟踪回访"):
            actions.do_remove_risk(case, reason="好了", closed_on=today(), acting_user=clerk)

    def test_measures_need_a_verified_case_and_a_kind_of_the_registry(self, clerk):
        scan(clerk)
        case = case_of(county.DROP)
        with pytest.raises(actions.MonitoringError, match="核实确认后"):
            actions.do_assign_measure(
                case, kind="就业扶持", description="x", assigned_on=today(), acting_user=clerk
            )
        case = verified(case, clerk)
        with pytest.raises(actions.MonitoringError, match="未知的措施类型"):
            actions.do_assign_measure(
                case, kind="发红包", description="x", assigned_on=today(), acting_user=clerk
            )

    def test_a_visit_that_finds_no_risk_dismisses_the_case(self, clerk):
        scan(clerk)
        case = actions.do_verify(
            case_of(county.DISASTER),
            confirmed=False,
            visited_on=today(),
            visitor="李明",
            findings="房屋已修缮，鉴定有误",
            acting_user=clerk,
        )
        assert case.state == Case.DISMISSED and not case.is_open

    def test_return_to_poverty_goes_through_the_adjustment_approval(self, clerk, reviewer):
        scan(clerk)
        case = verified(case_of(county.ILL), clerk)
        case = actions.do_request_return(case, reason="大病支出致收入低于标准", acting_user=clerk)
        assert case.state == Case.RETURN_PENDING
        assert Household.objects.get(household_id=county.ILL).status == "已脱贫"
        from fupin.web.models import AdjustmentRequest

        request = AdjustmentRequest.objects.get(pk=case.adjustment_request_id)
        assert (request.kind, request.state) == ("返贫", "待审核")
        with pytest.raises(actions.MonitoringError, match="申请人以外"):
            actions.do_decide_return(case, approve=True, note="", acting_user=clerk)
        case = actions.do_decide_return(case, approve=True, note="属实", acting_user=reviewer)
        assert case.state == Case.RETURNED
        assert Household.objects.get(household_id=county.ILL).status == "返贫"
        request.refresh_from_db()
        assert (request.state, request.reviewed_by) == ("已批准", reviewer)
        version = RecordVersion.objects.get(table="households", key=county.ILL, valid_to=None)
        assert version.changed_by == reviewer

    def test_a_return_approved_on_the_adjustment_pages_closes_the_case(self, clerk, reviewer):
        scan(clerk)
        case = actions.do_request_return(
            verified(case_of(county.ILL), clerk), reason="大病", acting_user=clerk
        )
        from fupin.registry.adjustments import apply_adjustment

        apply_adjustment(county.ILL, "返贫", 2018, acting_user=reviewer)
        assert actions.sync_returns(Case.objects.all()) == 1
        case.refresh_from_db()
        assert case.state == Case.RETURNED


class TestFigures:
    def test_rates_per_region_count_monitored_removed_and_returned(self, clerk, reviewer):
        scan(clerk)
        drop = verified(case_of(county.DROP), clerk)
        actions.do_follow_up(
            drop, visited_on=today(), visitor="李明", findings="好转", acting_user=clerk
        )
        actions.do_remove_risk(drop, reason="收入恢复", closed_on=today(), acting_user=clerk)
        ill = actions.do_request_return(
            verified(case_of(county.ILL), clerk), reason="大病", acting_user=clerk
        )
        actions.do_decide_return(ill, approve=True, note="", acting_user=reviewer)

        rates = figures.monitoring_rates(county.COUNTY)
        assert (rates.monitored, rates.removed, rates.returned, rates.open) == (3, 1, 1, 1)
        # 返贫率: 1 returned of the 27 households of the county that ever exited (26 + 1)
        assert (rates.return_rate.returned, rates.return_rate.ever_exited) == (1, 27)
        assert rates.return_rate.percent == pytest.approx(100 / 27)
        town_b = figures.monitoring_rates(county.TOWN_B)
        assert (town_b.monitored, town_b.returned, town_b.removed) == (2, 1, 0)

    def test_overdue_follow_ups_are_listed_per_helper_and_per_township(self, clerk):
        scan(clerk)
        long_ago = today() - dt.timedelta(days=40)
        Case.objects.update(
            identified_on=long_ago - dt.timedelta(days=1),
            verify_due=long_ago + dt.timedelta(days=6),
        )
        verified(case_of(county.DROP), clerk, on=long_ago)  # follow-up was due 10 days ago
        in_a_week = today() + dt.timedelta(days=8)
        # the other two were identified 41 days ago and never verified: overdue too
        by_helper = figures.overdue_by_helper(county.COUNTY, today())
        assert by_helper == [
            {"helper_id": by_helper[0]["helper_id"], "name": "李明", "unit": "县扶贫办", "count": 3}
        ]
        by_town = {
            r["name"]: r["count"] for r in figures.overdue_by_township(county.COUNTY, today())
        }
        assert by_town == {"龙山镇": 1, "镇安镇": 2}
        actions.do_follow_up(
            case_of(county.DROP),
            visited_on=today(),
            visitor="李明",
            findings="正常",
            acting_user=clerk,
        )
        assert county.DROP not in {
            c.household_id for c in figures.overdue_cases(county.COUNTY, today())
        }
        assert len(figures.overdue_cases(county.COUNTY, in_a_week)) == 2

    def test_follow_ups_are_ranked_overdue_first_then_least_stable(self, clerk):
        scan(clerk)
        rows = figures.follow_up_ranking(county.COUNTY, today())
        assert [r["case"].household_id for r in rows][0] == county.DROP
        scores = [r["stability"].score for r in rows]
        assert scores == sorted(scores)

    def test_the_stability_of_a_household_counts_measures_assigned_in_monitoring(self, clerk):
        household = Household.objects.get(household_id="S0001")
        before = figures.stability_for_household(household)
        actions.do_report_risk(
            household, risk_type="失业", source="干部报告", detail="x", detected_on=today(),
            acting_user=clerk,
        )  # fmt: skip
        case = verified(case_of("S0001"), clerk)
        actions.do_assign_measure(
            case, kind="公益岗位", description="护林员", assigned_on=today(), acting_user=clerk
        )
        after = figures.stability_for_household(household)
        # the registry's measures are of 2018, no longer active; the new one is of this year
        assert driver(after, "measures").value > driver(before, "measures").value
        assert figures.stability_for_household(Household.objects.get(household_id="P0001")) is None


def comparison_run(clerk):
    from fupin.comparison.models import ComparisonRun, Finding

    run = ComparisonRun.objects.create(
        created_by=clerk, as_of=today(), rules="compare-yunnan-2017", data_source="x",
        rosters_source="y",
    )  # fmt: skip
    for household_id, finding_id in (
        ("S0001", "danger_house"),  # exited: a risk
        ("P0001", "danger_house"),  # not exited: not a monitoring object
        ("S0002", "id_invalid"),  # not a risk of returning to poverty
        ("S0004", "disabled_mismatch"),  # exited: a risk
    ):
        Finding.objects.create(
            run=run, finding_id=finding_id, finding_name=finding_id, severity="高",
            kind="finding", household_id=household_id, region_code="530523100001",
            detail="部门数据与登记不一致",
        )  # fmt: skip
    return run


class TestComparisonFindings:
    def test_findings_about_exited_households_become_risks_from_the_comparison(self, clerk):
        run = comparison_run(clerk)
        result = actions.do_import_comparison_findings(run, acting_user=clerk)
        risks = {
            (c.household_id, r.risk_type, r.source)
            for c in Case.objects.all()
            for r in c.risks.all()
        }
        assert risks == {("S0001", "灾害", "比对发现"), ("S0004", "残疾", "比对发现")}
        assert len(result.new_cases) == 2
        again = actions.do_import_comparison_findings(run, acting_user=clerk)
        assert again.new_risks == 0 and Case.objects.count() == 2

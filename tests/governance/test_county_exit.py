"""The county exit procedure of seed 001 四 as a state machine, and the household exit procedure."""

import datetime as dt
import json

import pytest

from fupin.governance import procedure
from fupin.governance.actions import (
    GovernanceError,
    do_record_exit_step,
    do_record_household_exit_step,
    do_start_county_exit,
    exit_timeline,
)
from fupin.governance.models import AuditEntry, CountyExit

pytestmark = pytest.mark.django_db

COUNTY = "341824000000"  # a county of 安徽省


@pytest.fixture
def officer(django_user_model):
    return django_user_model.objects.create_user("officer")


def county_at_verification(officer, *, national=False, year=2018):
    ce = do_start_county_exit(
        acting_user=officer, county_code=COUNTY, county_name="绩溪县", year=year, national=national
    )
    do_record_exit_step(
        ce, acting_user=officer, step="self_check", decided_on=dt.date(year, 11, 20)
    )
    do_record_exit_step(
        ce,
        acting_user=officer,
        step="application",
        decided_on=dt.date(year, 12, 10),
        documents=["退出申请报告", "相关资料和数据"],
    )
    do_record_exit_step(
        ce, acting_user=officer, step="city_review", decided_on=dt.date(year, 12, 28)
    )
    ce.refresh_from_db()
    assert ce.state == "provincial_verification"
    return ce


class TestProvincialVerification:
    def test_a_county_with_incidence_2_4_percent_is_stopped_with_the_rule_named(self, officer):
        ce = county_at_verification(officer)
        step = do_record_exit_step(
            ce,
            acting_user=officer,
            step="provincial_verification",
            decided_on=dt.date(2019, 2, 1),
            figures={"incidence": 2.4},
        )
        ce.refresh_from_db()
        assert step.outcome == "rejected"
        assert step.rule == "incidence_above_2_percent"
        assert "贫困发生率超过2%" in step.message and "不予退出" in step.message
        assert "四（三）" in step.message  # the clause of seed 001
        assert ce.outcome == "rejected"
        with pytest.raises(GovernanceError, match="已有结论"):
            do_record_exit_step(
                ce,
                acting_user=officer,
                step="provincial_verification",
                decided_on=dt.date(2019, 2, 2),
            )

    def test_incidence_of_exactly_2_percent_is_not_above_the_line(self, officer):
        ce = county_at_verification(officer)
        step = do_record_exit_step(
            ce,
            acting_user=officer,
            step="provincial_verification",
            decided_on=dt.date(2019, 2, 1),
            figures={"incidence": 2.0},
        )
        ce.refresh_from_db()
        assert step.outcome == "passed"
        assert ce.state == "assessment_publicity"

    def test_the_incidence_can_come_from_an_evaluation_summary(self, officer, tmp_path):
        summary = tmp_path / "summary.json"
        summary.write_text(
            json.dumps({"regions": {COUNTY: {"name": "绩溪县", "incidence": 0.024}}}),
            encoding="utf-8",
        )
        assert procedure.incidence_from_summary(summary, COUNTY) == pytest.approx(2.4)
        ce = county_at_verification(officer)
        step = do_record_exit_step(
            ce,
            acting_user=officer,
            step="provincial_verification",
            decided_on=dt.date(2019, 2, 1),
            figures={"incidence": procedure.incidence_from_summary(summary, COUNTY)},
        )
        assert step.rule == "incidence_above_2_percent"

    def test_verification_needs_the_incidence(self, officer):
        ce = county_at_verification(officer)
        with pytest.raises(GovernanceError, match="贫困发生率"):
            do_record_exit_step(
                ce,
                acting_user=officer,
                step="provincial_verification",
                decided_on=dt.date(2019, 2, 1),
            )

    def test_a_non_compliant_procedure_goes_back_for_rectification(self, officer):
        ce = county_at_verification(officer)
        step = do_record_exit_step(
            ce,
            acting_user=officer,
            step="provincial_verification",
            decided_on=dt.date(2019, 2, 1),
            figures={"incidence": 1.1, "procedure_compliant": False},
        )
        ce.refresh_from_db()
        assert (step.outcome, step.rule) == ("returned", "procedure_not_compliant")
        assert ce.state == "application" and ce.outcome == ""

    def test_missing_material_is_requested_and_the_step_stays(self, officer):
        ce = county_at_verification(officer)
        step = do_record_exit_step(
            ce,
            acting_user=officer,
            step="provincial_verification",
            decided_on=dt.date(2019, 2, 1),
            figures={"incidence": 1.1, "materials_complete": False},
        )
        ce.refresh_from_db()
        assert step.outcome == "materials_requested"
        assert ce.state == "provincial_verification"


class TestTheWholeProcedure:
    def test_a_provincial_county_skips_the_national_spot_check_and_is_announced(self, officer):
        ce = county_at_verification(officer)
        for step, day in (
            ("provincial_verification", dt.date(2019, 3, 1)),
            ("assessment_publicity", dt.date(2019, 4, 20)),
            ("announcement", dt.date(2019, 4, 29)),
        ):
            do_record_exit_step(
                ce, acting_user=officer, step=step, decided_on=day, figures={"incidence": 0.8}
            )
        ce.refresh_from_db()
        assert ce.outcome == "exited"
        assert [s.step for s in ce.steps.all()] == [
            "self_check",
            "application",
            "city_review",
            "provincial_verification",
            "assessment_publicity",
            "announcement",
        ]
        assert (
            AuditEntry.objects.filter(action="record_exit_step", acting_user=officer).count() == 6
        )

    def test_a_national_county_waits_for_the_national_spot_check(self, officer):
        ce = county_at_verification(officer, national=True)
        do_record_exit_step(
            ce,
            acting_user=officer,
            step="provincial_verification",
            decided_on=dt.date(2019, 3, 1),
            figures={"incidence": 0.8},
        )
        do_record_exit_step(
            ce, acting_user=officer, step="assessment_publicity", decided_on=dt.date(2019, 4, 20)
        )
        ce.refresh_from_db()
        assert ce.state == "national_spot_check"

    def test_high_error_rates_call_for_special_rectification_without_stopping_the_exit(
        self, officer
    ):
        ce = county_at_verification(officer)
        do_record_exit_step(
            ce,
            acting_user=officer,
            step="provincial_verification",
            decided_on=dt.date(2019, 3, 1),
            figures={"incidence": 0.8},
        )
        step = do_record_exit_step(
            ce,
            acting_user=officer,
            step="assessment_publicity",
            decided_on=dt.date(2019, 4, 20),
            figures={"wrong_exit_rate": 2.5, "missed_rate": 0.3, "recognition": 93},
        )
        assert step.outcome == "passed"
        assert "专项整改" in step.message and "脱贫人口错退率高于2%" in step.message

    def test_steps_cannot_be_skipped(self, officer):
        ce = do_start_county_exit(
            acting_user=officer, county_code=COUNTY, county_name="绩溪县", year=2018
        )
        with pytest.raises(GovernanceError, match="当前环节是“自查和整改”"):
            do_record_exit_step(
                ce, acting_user=officer, step="city_review", decided_on=dt.date(2018, 12, 20)
            )

    def test_an_application_after_15_december_is_late_and_the_timeline_says_so(self, officer):
        ce = do_start_county_exit(
            acting_user=officer, county_code=COUNTY, county_name="绩溪县", year=2018
        )
        do_record_exit_step(
            ce, acting_user=officer, step="self_check", decided_on=dt.date(2018, 11, 1)
        )
        step = do_record_exit_step(
            ce,
            acting_user=officer,
            step="application",
            decided_on=dt.date(2018, 12, 18),
            documents=["退出申请报告"],
        )
        assert step.deadline == dt.date(2018, 12, 15) and step.late
        ce.refresh_from_db()
        rows = exit_timeline(ce, today=dt.date(2019, 1, 5))
        by_step = {r["step"].id: r for r in rows}
        assert by_step["application"]["late"]
        # city review was due by 31 December and nothing is recorded yet
        assert by_step["city_review"]["current"] and by_step["city_review"]["late"]
        assert "national_spot_check" not in by_step

    def test_an_application_needs_the_application_report(self, officer):
        ce = do_start_county_exit(
            acting_user=officer, county_code=COUNTY, county_name="绩溪县", year=2018
        )
        do_record_exit_step(
            ce, acting_user=officer, step="self_check", decided_on=dt.date(2018, 11, 1)
        )
        with pytest.raises(GovernanceError, match="退出申请报告"):
            do_record_exit_step(
                ce, acting_user=officer, step="application", decided_on=dt.date(2018, 12, 10)
            )

    def test_one_procedure_per_county_and_year(self, officer):
        do_start_county_exit(
            acting_user=officer, county_code=COUNTY, county_name="绩溪县", year=2018
        )
        with pytest.raises(GovernanceError, match="已经建立"):
            do_start_county_exit(
                acting_user=officer, county_code=COUNTY, county_name="绩溪县", year=2018
            )
        assert CountyExit.objects.count() == 1


class TestYunnanCalendar:
    def test_the_yunnan_county_report_is_due_on_20_december(self):
        proc = procedure.load("exit-procedure-yunnan-2017")
        assert proc.step("application").deadline_for(2017) == dt.date(2017, 12, 20)
        assert proc.step("city_review").deadline_for(2017) == dt.date(2018, 1, 10)
        assert proc.step("provincial_verification").deadline_for(2017) == dt.date(2018, 2, 28)


class TestHouseholdExit:
    def test_the_four_steps_in_order_mark_the_household_exited_in_the_registry(
        self, officer, tmp_path
    ):
        from fupin.registry.importing import import_dataset
        from fupin.registry.models import Household
        from tests.registry import dataset

        import_dataset(dataset.write(tmp_path / "ds"))
        household = Household.objects.filter(status="未脱贫").first()
        assert household is not None
        with pytest.raises(GovernanceError, match="民主评议"):
            do_record_household_exit_step(
                household,
                2018,
                "乡镇审核",
                acting_user=officer,
                passed=True,
                decided_on=dt.date(2018, 10, 1),
            )
        for i, step in enumerate(("民主评议", "村内公示", "乡镇审核", "县级审定")):
            he = do_record_household_exit_step(
                household,
                2018,
                step,
                acting_user=officer,
                passed=True,
                decided_on=dt.date(2018, 10, 1 + 7 * i),
            )
        household.refresh_from_db()
        assert he.outcome == "exited"
        assert (household.status, household.exit_year) == ("已脱贫", 2018)
        assert [s.step for s in he.steps.all()] == ["民主评议", "村内公示", "乡镇审核", "县级审定"]

"""yunnan-2017 household exit criteria, each read from seed 000 items 1-6: a passing case, a
failing case and the edge at the threshold, on hand-made data sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fupin.engine.exit_evaluation import evaluate, evaluate_households
from fupin.engine.policy.loading import load_policy
from tests.engine.exit_data import AS_OF, born_aged, household, measure, member, write_dataset

POLICY = "yunnan-2017"


def run(
    tmp_path: Path,
    hh: dict[str, Any] | None = None,
    members: list[dict[str, Any]] | None = None,
    measures: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The result row of household H1."""
    hh = hh or household()
    members = members if members is not None else [member()]
    folder = write_dataset(tmp_path / "data", [hh], members, measures)
    rows = evaluate_households(folder, POLICY, AS_OF, ["H1"]).to_pylist()
    assert len(rows) == 1
    return rows[0]


def assert_fails(row: dict[str, Any], criterion: str, gap: str | None = None) -> None:
    assert row[f"c_{criterion}"] is False
    assert criterion in row["failed_criteria"].split(";")
    assert row["verdict"] == "未达标"
    assert row["passed"] is False
    if gap is not None:
        assert gap in row["gaps"].split("；")


def assert_passes(row: dict[str, Any], criterion: str) -> None:
    assert row[f"c_{criterion}"] is True
    assert criterion not in row["failed_criteria"].split(";")


def assert_unknown(row: dict[str, Any], criterion: str) -> None:
    assert row[f"c_{criterion}"] is None
    assert criterion in row["unknown_criteria"].split(";")
    assert row["passed"] is False


class TestWholeHousehold:
    def test_a_household_meeting_every_criterion_passes(self, tmp_path: Path) -> None:
        folder = write_dataset(tmp_path / "data", [household()], [member()])
        row = evaluate(folder, POLICY, AS_OF).households.to_pylist()[0]
        assert row["verdict"] == "达标"
        assert row["passed"] is True
        assert row["failed_criteria"] == row["unknown_criteria"] == row["gaps"] == ""

    def test_a_household_with_only_an_unknown_criterion_is_reported_as_incomplete(
        self, tmp_path: Path
    ) -> None:
        row = run(tmp_path, household(food_secure=""))
        assert row["verdict"] == "数据不全"
        assert row["failed_criteria"] == ""
        assert row["unknown_criteria"] == "food"

    def test_failures_come_before_unknowns_in_the_verdict(self, tmp_path: Path) -> None:
        row = run(tmp_path, household(food_secure="", family_doctor="否"))
        assert row["verdict"] == "未达标"
        assert row["failed_criteria"] == "family_doctor"
        assert row["unknown_criteria"] == "food"

    def test_failed_criteria_are_listed_sorted_by_id(self, tmp_path: Path) -> None:
        row = run(tmp_path, household(water_safe="否", family_doctor="否", food_secure="否"))
        assert row["failed_criteria"] == "family_doctor;food;water"


class TestIncome:
    """1(1) 人均纯收入。2017年暂按3200元计算。"""

    def two_members(self) -> list[dict[str, Any]]:
        return [member(), member(relation="配偶", sex="女")]

    def test_a_household_above_the_line_passes(self, tmp_path: Path) -> None:
        assert_passes(run(tmp_path, household(wage_income="8000"), self.two_members()), "income")

    def test_exactly_the_line_passes(self, tmp_path: Path) -> None:
        row = run(tmp_path, household(wage_income="6400"), self.two_members())
        assert row["per_capita_net_income"] == 3200
        assert_passes(row, "income")

    def test_below_the_line_fails_with_the_income_and_the_line(self, tmp_path: Path) -> None:
        row = run(tmp_path, household(wage_income="5900"), self.two_members())
        assert_fails(row, "income", "人均纯收入2,950元，低于标准3,200元")

    def test_business_expenses_are_deducted_and_all_income_kinds_count(
        self, tmp_path: Path
    ) -> None:
        hh = household(
            wage_income="1000",
            business_income="5000",
            business_expense="2000",
            property_income="200",
            transfer_income="200",
        )
        row = run(tmp_path, hh, self.two_members())
        assert row["per_capita_net_income"] == 2200
        assert_fails(row, "income", "人均纯收入2,200元，低于标准3,200元")

    def test_empty_money_fields_count_as_zero(self, tmp_path: Path) -> None:
        row = run(tmp_path, household(wage_income="", transfer_income="3200"))
        assert row["per_capita_net_income"] == 3200
        assert_passes(row, "income")

    def test_a_household_without_members_has_an_unknown_income(self, tmp_path: Path) -> None:
        assert_unknown(run(tmp_path, household(), members=[]), "income")


@pytest.mark.parametrize(
    ("field", "criterion", "gap"),
    [
        ("food_secure", "food", "不愁吃为“否”，应有必须的口粮"),
        ("clothing_secure", "clothing", "不愁穿为“否”，应有四季衣服"),
        ("water_safe", "water", "饮水安全为“否”，应有达标饮水"),
    ],
)
class TestFoodClothingWater:
    """1(2) 有必须的口粮、四季衣服和达标饮水。"""

    def test_yes_passes(self, tmp_path: Path, field: str, criterion: str, gap: str) -> None:
        assert_passes(run(tmp_path, household(**{field: "是"})), criterion)

    def test_no_fails(self, tmp_path: Path, field: str, criterion: str, gap: str) -> None:
        assert_fails(run(tmp_path, household(**{field: "否"})), criterion, gap)

    def test_empty_is_unknown_not_no(
        self, tmp_path: Path, field: str, criterion: str, gap: str
    ) -> None:
        assert_unknown(run(tmp_path, household(**{field: ""})), criterion)


class TestHousingSafe:
    """2(1) 无住C、D级危房情况（易地扶贫搬迁和农村危房改造以入住为准）。"""

    @pytest.mark.parametrize("grade", ["A", "B"])
    def test_a_safe_house_passes(self, tmp_path: Path, grade: str) -> None:
        assert_passes(run(tmp_path, household(housing_grade=grade)), "housing_safe")

    @pytest.mark.parametrize("grade", ["C", "D"])
    def test_a_dangerous_house_fails(self, tmp_path: Path, grade: str) -> None:
        row = run(tmp_path, household(housing_grade=grade, housing_renovated="否"))
        assert_fails(row, "housing_safe", f"住房安全等级为{grade}级危房，且未改造入住")

    def test_a_renovated_dangerous_house_moved_into_passes(self, tmp_path: Path) -> None:
        row = run(tmp_path, household(housing_grade="D", housing_renovated="是"))
        assert_passes(row, "housing_safe")

    def test_a_relocated_household_that_moved_in_passes_whatever_the_old_house(
        self, tmp_path: Path
    ) -> None:
        hh = household(relocated="是", relocation_moved_in="是", housing_grade="D")
        assert_passes(run(tmp_path, hh), "housing_safe")

    def test_a_relocated_household_not_yet_moved_in_fails(self, tmp_path: Path) -> None:
        hh = household(relocated="是", relocation_moved_in="否", housing_grade="A")
        assert_fails(run(tmp_path, hh), "housing_safe", "易地扶贫搬迁户尚未搬迁入住")

    def test_an_empty_housing_grade_is_unknown(self, tmp_path: Path) -> None:
        assert_unknown(run(tmp_path, household(housing_grade="")), "housing_safe")


class TestRelocationFunds:
    """2(2) 易地扶贫搬迁建房自筹资金控制在1万元以内，无建房举债。"""

    def relocated(self, **fields: Any) -> dict[str, Any]:
        return household(relocated="是", relocation_moved_in="是", **fields)

    def test_self_funds_within_the_limit_pass(self, tmp_path: Path) -> None:
        assert_passes(
            run(tmp_path, self.relocated(relocation_self_funds="6000")), "relocation_funds"
        )

    def test_exactly_ten_thousand_yuan_passes(self, tmp_path: Path) -> None:
        assert_passes(
            run(tmp_path, self.relocated(relocation_self_funds="10000")), "relocation_funds"
        )

    def test_one_fen_over_ten_thousand_fails(self, tmp_path: Path) -> None:
        row = run(tmp_path, self.relocated(relocation_self_funds="10000.01"))
        assert_fails(
            row,
            "relocation_funds",
            "建房自筹资金10,000.01元（上限10,000元），建房负债0元（应无负债）",
        )

    def test_any_housing_debt_fails(self, tmp_path: Path) -> None:
        row = run(tmp_path, self.relocated(relocation_self_funds="3000", housing_debt="1"))
        assert_fails(row, "relocation_funds")

    def test_it_does_not_apply_to_a_household_not_relocated(self, tmp_path: Path) -> None:
        row = run(tmp_path, household(relocated="否", relocation_self_funds="50000"))
        assert_passes(row, "relocation_funds")
        assert row["a_relocation_funds"] is False


class TestCompulsoryEducation:
    """3(1) 子女义务教育阶段无辍学 (6-15 years old; 学前教育 fails from 7; 残疾 exempt)."""

    def with_child(self, tmp_path: Path, age: int, **fields: Any) -> dict[str, Any]:
        child = member(birth_date=born_aged(age), relation="之子", **fields)
        return run(tmp_path, household(), [member(), child])

    def test_a_child_at_school_passes(self, tmp_path: Path) -> None:
        assert_passes(self.with_child(tmp_path, 12, school_status="初中"), "compulsory_education")

    def test_a_child_of_fifteen_out_of_school_fails(self, tmp_path: Path) -> None:
        row = self.with_child(tmp_path, 15, school_status="非在校生")
        assert_fails(row, "compulsory_education", "有1名6至15岁成员未接受义务教育（辍学）")

    def test_a_member_of_sixteen_out_of_school_is_past_compulsory_age(self, tmp_path: Path) -> None:
        assert_passes(
            self.with_child(tmp_path, 16, school_status="非在校生"), "compulsory_education"
        )

    def test_age_counts_full_years_on_the_as_of_date(self, tmp_path: Path) -> None:
        # born 31 December 2001: sixteen on 31 December 2017, no longer of compulsory age
        child = member(birth_date="2001-12-31", relation="之子", school_status="非在校生")
        assert_passes(run(tmp_path, household(), [member(), child]), "compulsory_education")

    def test_preschool_at_six_passes(self, tmp_path: Path) -> None:
        assert_passes(
            self.with_child(tmp_path, 6, school_status="学前教育"), "compulsory_education"
        )

    def test_preschool_at_seven_fails(self, tmp_path: Path) -> None:
        assert_fails(self.with_child(tmp_path, 7, school_status="学前教育"), "compulsory_education")

    def test_a_disabled_child_out_of_school_is_exempt(self, tmp_path: Path) -> None:
        row = self.with_child(tmp_path, 10, school_status="非在校生", health="残疾")
        assert_passes(row, "compulsory_education")

    def test_an_unknown_school_status_of_a_school_age_child_is_unknown(
        self, tmp_path: Path
    ) -> None:
        assert_unknown(self.with_child(tmp_path, 10, school_status=""), "compulsory_education")


class TestIncomeAfterSchooling:
    """3(2) 因学致贫家庭扣除就学负担后家庭年人均纯收入仍达到脱贫标准。"""

    def two_members(self) -> list[dict[str, Any]]:
        return [member(), member(relation="之子", birth_date=born_aged(17), school_status="高中")]

    def test_enough_income_after_school_costs_passes(self, tmp_path: Path) -> None:
        hh = household(main_cause="因学", wage_income="10000", education_burden="1000")
        assert_passes(run(tmp_path, hh, self.two_members()), "income_after_schooling")

    def test_exactly_the_line_after_school_costs_passes(self, tmp_path: Path) -> None:
        hh = household(main_cause="因学", wage_income="8000", education_burden="1600")
        assert_passes(run(tmp_path, hh, self.two_members()), "income_after_schooling")

    def test_below_the_line_after_school_costs_fails(self, tmp_path: Path) -> None:
        hh = household(main_cause="因学", wage_income="8000", education_burden="1602")
        row = run(tmp_path, hh, self.two_members())
        assert_passes(row, "income")
        assert_fails(
            row,
            "income_after_schooling",
            "扣除就学负担1,602元后人均纯收入3,199元，低于标准3,200元",
        )

    def test_it_applies_when_schooling_is_another_cause(self, tmp_path: Path) -> None:
        hh = household(
            main_cause="因病", other_causes="因学", wage_income="8000", education_burden="5000"
        )
        assert_fails(run(tmp_path, hh, self.two_members()), "income_after_schooling")

    def test_it_does_not_apply_to_a_household_poor_for_other_reasons(self, tmp_path: Path) -> None:
        hh = household(main_cause="因病", wage_income="8000", education_burden="5000")
        row = run(tmp_path, hh, self.two_members())
        assert_passes(row, "income_after_schooling")
        assert row["a_income_after_schooling"] is False


@pytest.mark.parametrize(
    ("field", "criterion", "gap"),
    [
        ("medical_insured", "medical_insurance", "有1名成员未参加基本医疗保险"),
        ("critical_illness_insured", "critical_illness_insurance", "有1名成员未参加大病保险"),
    ],
)
class TestInsurance:
    """4(1) 100%参加基本医疗和大病保险。"""

    def test_every_member_insured_passes(
        self, tmp_path: Path, field: str, criterion: str, gap: str
    ) -> None:
        row = run(tmp_path, household(), [member(**{field: "是"}), member(**{field: "是"})])
        assert_passes(row, criterion)

    def test_one_uninsured_member_fails(
        self, tmp_path: Path, field: str, criterion: str, gap: str
    ) -> None:
        row = run(tmp_path, household(), [member(**{field: "是"}), member(**{field: "否"})])
        assert_fails(row, criterion, gap)

    def test_one_member_with_an_empty_answer_is_unknown(
        self, tmp_path: Path, field: str, criterion: str, gap: str
    ) -> None:
        row = run(tmp_path, household(), [member(**{field: "是"}), member(**{field: ""})])
        assert_unknown(row, criterion)


class TestFamilyDoctor:
    """4(2) 家庭医生签约服务率达到100%。"""

    def test_signed_passes(self, tmp_path: Path) -> None:
        assert_passes(run(tmp_path, household(family_doctor="是")), "family_doctor")

    def test_not_signed_fails(self, tmp_path: Path) -> None:
        assert_fails(
            run(tmp_path, household(family_doctor="否")), "family_doctor", "未签约家庭医生"
        )

    def test_empty_is_unknown(self, tmp_path: Path) -> None:
        assert_unknown(run(tmp_path, household(family_doctor="")), "family_doctor")


class TestMedicalBurden:
    """4(3) 个人年度支付的医疗费用不超过当地农村居民人均可支配收入 (9,862 yuan)."""

    def test_a_small_burden_passes(self, tmp_path: Path) -> None:
        assert_passes(run(tmp_path, household(medical_out_of_pocket="500")), "medical_burden")

    def test_exactly_the_local_income_passes(self, tmp_path: Path) -> None:
        assert_passes(run(tmp_path, household(medical_out_of_pocket="9862")), "medical_burden")

    def test_above_the_local_income_fails(self, tmp_path: Path) -> None:
        row = run(tmp_path, household(medical_out_of_pocket="9862.50"))
        assert_fails(
            row,
            "medical_burden",
            "个人年度自付医疗费用9,862.50元，超过当地农村居民人均可支配收入9,862元",
        )

    def test_an_empty_amount_counts_as_zero(self, tmp_path: Path) -> None:
        assert_passes(run(tmp_path, household(medical_out_of_pocket="")), "medical_burden")


class TestPension:
    """5 符合条件的家庭成员100%参加养老保险 (16 or older and not at school)."""

    def test_insured_adults_pass(self, tmp_path: Path) -> None:
        assert_passes(run(tmp_path, household(), [member(pension_insured="是")]), "pension")

    def test_an_uninsured_adult_fails(self, tmp_path: Path) -> None:
        row = run(tmp_path, household(), [member(), member(pension_insured="否")])
        assert_fails(row, "pension", "有1名16岁以上非在校成员未参加养老保险")

    def test_an_uninsured_sixteen_year_old_out_of_school_fails(self, tmp_path: Path) -> None:
        young = member(birth_date=born_aged(16), pension_insured="否")
        assert_fails(run(tmp_path, household(), [member(), young]), "pension")

    def test_an_uninsured_fifteen_year_old_is_not_yet_eligible(self, tmp_path: Path) -> None:
        young = member(birth_date=born_aged(15), pension_insured="否", school_status="初中")
        assert_passes(run(tmp_path, household(), [member(), young]), "pension")

    def test_an_uninsured_adult_at_school_is_not_eligible(self, tmp_path: Path) -> None:
        student = member(birth_date=born_aged(19), pension_insured="否", school_status="本科及以上")
        assert_passes(run(tmp_path, household(), [member(), student]), "pension")


class TestMeasuresRecorded:
    """6 精准帮扶措施，完整录入全国扶贫开发信息系统。"""

    def test_a_recorded_measure_passes(self, tmp_path: Path) -> None:
        assert_passes(run(tmp_path, household(), measures=[measure()]), "measures_recorded")

    def test_no_measure_fails(self, tmp_path: Path) -> None:
        assert_fails(run(tmp_path, household(), measures=[]), "measures_recorded", "未录入帮扶措施")

    def test_a_measure_recorded_for_a_later_year_does_not_count(self, tmp_path: Path) -> None:
        row = run(tmp_path, household(), measures=[measure(year=2018)])
        assert_fails(row, "measures_recorded")

    def test_several_measures_pass(self, tmp_path: Path) -> None:
        row = run(tmp_path, household(), measures=[measure(), measure(year=2016)])
        assert_passes(row, "measures_recorded")

    def test_another_households_measure_does_not_count(self, tmp_path: Path) -> None:
        row = run(
            tmp_path, household(), measures=[measure("H2"), {**measure(), "household_id": ""}]
        )
        assert_fails(row, "measures_recorded")

    def test_a_measure_without_a_year_counts(self, tmp_path: Path) -> None:
        row = run(tmp_path, household(), measures=[{**measure(), "year": ""}])
        assert_passes(row, "measures_recorded")

    def test_a_policy_asking_for_two_measures_counts_them(self, tmp_path: Path) -> None:
        """yunnan-2017 only asks whether there is a measure (the plan then tests existence,
        not counting); a policy asking for more has them counted."""
        (tmp_path / "p").mkdir()
        (tmp_path / "p" / "two-1.yaml").write_text(
            "id: two-1\nname: 两项措施\nextends: yunnan-2017\n"
            "parameters:\n  measures_min: {value: 2, source: {seed: x.txt, item: '6'}}\n",
            encoding="utf-8",
        )
        policy = load_policy(tmp_path / "p" / "two-1.yaml")
        hh = [household(), household("H2")]
        measures = [measure(), measure("H2"), measure("H2", 2016)]
        folder = write_dataset(tmp_path / "data", hh, [member(), member("H2")], measures)
        for p in (policy, POLICY):
            rows = {r["household_id"]: r for r in evaluate(folder, p, AS_OF).households.to_pylist()}
            assert rows["H2"]["c_measures_recorded"] is True
            assert rows["H1"]["c_measures_recorded"] is (p == POLICY)


@pytest.mark.parametrize(
    ("expression", "counts"),
    [
        ("measure_count >= 1", False),
        ("(measure_count) > 0", False),
        ("measure_count = 0 OR food_secure = TRUE", False),
        ("measure_count >= 2", True),
        ("measure_count + 1 >= 2", True),
        ("1 <= measure_count", True),  # not worth a rule: counted, still right
        ("measure_count >= 1 AND measure_count * 2 < 5", True),
    ],
)
def test_measures_are_counted_only_where_the_number_matters(expression: str, counts: bool) -> None:
    import sqlglot

    from fupin.engine.policy.compiler import _counts_measures

    assert _counts_measures([sqlglot.parse_one(expression, read="duckdb")]) is counts

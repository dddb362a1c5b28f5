"""Policy files: the shipped policies, extends, and refusal of bad files before anything runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fupin.engine.exit_evaluation import evaluate_households
from fupin.engine.policy import PolicyError, load_policy
from fupin.engine.policy.expressions import check_expression
from fupin.engine.policy.scopes import household_scope
from tests.engine.exit_data import AS_OF, household, member, write_dataset

YUNNAN_HOUSEHOLD_IDS = [
    "income",
    "food",
    "clothing",
    "water",
    "housing_safe",
    "relocation_funds",
    "compulsory_education",
    "income_after_schooling",
    "medical_insurance",
    "critical_illness_insurance",
    "family_doctor",
    "medical_burden",
    "pension",
    "measures_recorded",
]


def write_policy(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(body, encoding="utf-8")
    return path


ONE_CRITERION = """\
id: {name}
name: 测试策略
parameters:
  line: 3200
criteria:
  household:
    - id: income
      name: 收入
      dimension: 收入
      expression: "{expression}"
      source: {{seed: "000", item: "1"}}
"""


def policy_with(tmp_path: Path, expression: str, name: str = "test-1") -> Path:
    return write_policy(tmp_path, name, ONE_CRITERION.format(name=name, expression=expression))


class TestShippedPolicies:
    def test_yunnan_2017_has_the_household_criteria_of_the_issue(self) -> None:
        policy = load_policy("yunnan-2017")
        assert [c.id for c in policy.level("household")] == YUNNAN_HOUSEHOLD_IDS

    def test_yunnan_2017_village_criteria_cite_items_7_to_16(self) -> None:
        items = {c.source.item.split("(")[0] for c in load_policy("yunnan-2017").level("village")}
        assert items == {str(i) for i in range(7, 17)}

    def test_every_criterion_cites_a_seed_document_that_exists(self) -> None:
        seeds = Path("/work/shared/seeds")
        for name in ("yunnan-2017", "anhui-2018"):
            for level in ("household", "village", "county"):
                for c in load_policy(name).level(level):
                    assert c.source.seed.endswith(".txt")
                    if seeds.exists():
                        assert (seeds / c.source.seed).is_file(), c.source.seed

    def test_the_poverty_line_and_local_income_are_parameters_from_the_text(self) -> None:
        values = load_policy("yunnan-2017").values()
        assert values["poverty_line"] == 3200
        assert values["rural_disposable_income"] == 9862
        assert values["relocation_self_funds_max"] == 10000

    def test_anhui_2018_holds_the_county_exit_and_rectification_thresholds(self) -> None:
        policy = load_policy("anhui-2018")
        county = {c.id: c for c in policy.level("county")}
        assert {"incidence", "villages_exited", "income_growth"} <= set(county)
        assert {c.id for c in county.values() if c.kind == "rectification"} == {
            "wrong_exit_rate",
            "missed_rate",
            "recognition",
        }
        assert policy.values()["county_incidence_max"] == 2
        assert policy.values()["rectification_recognition_min"] == 90

    def test_provinces_extend_the_national_assessment_parameters(self) -> None:
        for name in ("yunnan-2017", "anhui-2018"):
            policy = load_policy(name)
            assert policy.lineage == (name, "national-2016")
            assert policy.values()["assessment_first_year"] == 2016
            assert policy.values()["sample_households_per_county_min"] == 1000


class TestExtends:
    def test_a_policy_extending_another_overrides_its_parameters(self, tmp_path: Path) -> None:
        write_policy(
            tmp_path / "p",
            "yunnan-2018",
            "id: yunnan-2018\nname: 云南2018\nextends: yunnan-2017\n"
            "parameters:\n  poverty_line: {value: 3500, source: {seed: x.txt, item: '1'}}\n",
        )
        policy = load_policy(tmp_path / "p" / "yunnan-2018.yaml")
        assert policy.values()["poverty_line"] == 3500
        assert [c.id for c in policy.level("household")] == YUNNAN_HOUSEHOLD_IDS
        folder = write_dataset(tmp_path / "data", [household(wage_income="3400")], [member()])
        row = evaluate_households(folder, policy, AS_OF, ["H1"]).to_pylist()[0]
        assert row["failed_criteria"] == "income"
        assert "人均纯收入3,400元，低于标准3,500元" in row["gaps"]

    def test_a_child_may_remove_and_replace_criteria(self, tmp_path: Path) -> None:
        write_policy(
            tmp_path,
            "child-1",
            "id: child-1\nname: 子策略\nextends: yunnan-2017\n"
            "remove_criteria: {household: [family_doctor]}\n"
            "criteria:\n  household:\n    - id: food\n      name: 吃\n      dimension: 两不愁\n"
            "      expression: food_secure = TRUE AND clothing_secure = TRUE\n"
            "      source: {seed: x.txt, item: '1'}\n",
        )
        policy = load_policy(tmp_path / "child-1.yaml")
        ids = [c.id for c in policy.level("household")]
        assert "family_doctor" not in ids
        assert policy.criterion("household", "food").expression.startswith("food_secure = TRUE AND")

    def test_a_cycle_of_extends_is_refused(self, tmp_path: Path) -> None:
        write_policy(tmp_path, "a-1", "id: a-1\nname: A\nextends: b-1\n")
        write_policy(tmp_path, "b-1", "id: b-1\nname: B\nextends: a-1\n")
        with pytest.raises(PolicyError, match="循环"):
            load_policy(tmp_path / "a-1.yaml")


class TestRefusals:
    def test_an_unknown_field_is_refused_naming_file_criterion_and_field(
        self, tmp_path: Path
    ) -> None:
        path = policy_with(tmp_path, "per_capita_incme >= line")
        with pytest.raises(PolicyError) as caught:
            load_policy(path)
        message = str(caught.value)
        assert "test-1.yaml" in message
        assert "income" in message
        assert "未知的字段或参数“per_capita_incme”" in message

    def test_an_unknown_function_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(PolicyError, match="未知的函数 fetch_url"):
            load_policy(policy_with(tmp_path, "fetch_url('x') >= line"))

    def test_a_function_outside_the_allow_list_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(PolicyError, match="不允许的函数"):
            load_policy(policy_with(tmp_path, "length(head_name) > 1"))

    def test_a_sql_fragment_after_a_semicolon_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(PolicyError, match="多条语句") as caught:
            load_policy(policy_with(tmp_path, "wage_income > 0; DROP TABLE households"))
        assert "test-1.yaml" in str(caught.value)

    def test_a_subquery_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(PolicyError, match="不允许的语法"):
            load_policy(
                policy_with(tmp_path, "wage_income > (SELECT max(wage_income) FROM households)")
            )

    def test_a_value_the_field_cannot_take_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(PolicyError, match="取值“E”不存在"):
            load_policy(policy_with(tmp_path, "housing_grade IN ('A', 'E')"))

    def test_a_member_field_outside_a_member_aggregate_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(PolicyError, match="未知的字段或参数“age”"):
            load_policy(policy_with(tmp_path, "age >= 16"))

    def test_a_file_breaking_the_schema_is_refused_with_the_place(self, tmp_path: Path) -> None:
        write_policy(
            tmp_path, "bad-1", "id: bad-1\nname: 坏\ncriteria:\n  household:\n    - id: x\n"
        )
        with pytest.raises(PolicyError, match="bad-1.yaml.*criteria/household/0"):
            load_policy(tmp_path / "bad-1.yaml")

    def test_an_unknown_policy_name_lists_the_available_ones(self) -> None:
        with pytest.raises(PolicyError, match="yunnan-2017"):
            load_policy("nowhere-2017")

    def test_a_parameter_named_like_a_field_is_refused(self, tmp_path: Path) -> None:
        write_policy(tmp_path, "clash-1", "id: clash-1\nname: 冲突\nparameters:\n  age: 16\n")
        with pytest.raises(PolicyError, match="与字段同名"):
            load_policy(tmp_path / "clash-1.yaml")

    def test_the_checker_works_for_any_scope(self) -> None:
        """Another rule set reuses the checker with its own scope."""
        tree = check_expression("any_member(age >= 60)", household_scope(), "测试")
        assert tree.sql() == "ANY_MEMBER(age >= 60)"
        with pytest.raises(PolicyError, match="测试"):
            check_expression("any_member(salary > 1)", household_scope(), "测试")


def test_as_of_is_a_date() -> None:
    assert isinstance(AS_OF, dt.date)

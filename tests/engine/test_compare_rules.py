"""The discrepancy rules and logic checks of compare-yunnan-2017, case by case.

Every case is a household or person written from the seed text the rule cites, in one county
compared once (as of 2017-12-31); each test then reads the findings of one rule.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from fupin.engine.comparison.rosters import import_rosters, load_rosters
from fupin.engine.comparison.rules import FINDING_IDS, load_rules
from fupin.engine.comparison.run import ComparisonResult, compare
from fupin.engine.dataset import open_dataset
from fupin.engine.policy import PolicyError
from tests.comparison.builder import VILLAGE_B, County, person_id

AS_OF = dt.date(2017, 12, 31)


def build() -> tuple[County, dict[str, str]]:
    c = County()
    ids: dict[str, str] = {}
    # 004 item 24 / 000 item 3(1): no dropout in compulsory education
    c.household("H01")
    ids["h01_head"] = c.member("H01", "张大山", "1970-03-05")
    ids["h01_spouse"] = c.member("H01", "李秀英", "1972-04-06", sex="女", relation="配偶")
    ids["no_student_record"] = c.member(
        "H01", "张小军", "2007-05-01", relation="之子", school_status="小学"
    )
    ids["dropped_out"] = c.member(
        "H01", "张小红", "2005-06-01", sex="女", relation="之女", school_status="初中"
    )
    c.leave_out("roster_students", ids["no_student_record"])
    c.leave_out("roster_students", ids["dropped_out"])
    c.roster("roster_students", id_number=ids["dropped_out"], name="张小红", enrolment="辍学")
    c.household("H02")
    ids["h02_head"] = c.member("H02", "王建国", "1965-08-08")
    ids["taught_at_home"] = c.member("H02", "王明", "2008-02-02", relation="之子")
    c.roster("roster_students", id_number=ids["taught_at_home"], name="王明", enrolment="送教上门")
    ids["in_school"] = c.member(
        "H02", "王芳", "2006-01-01", sex="女", relation="之女", school_status="小学"
    )
    ids["aged_17"] = c.member("H02", "王大", "2000-01-01", relation="之子")
    # 000 item 4: basic medical insurance; 004 item 5: monthly comparison
    c.household("H03")
    ids["not_insured"] = c.member("H03", "赵一", "1950-01-10")
    c.leave_out("roster_medical", ids["not_insured"])
    ids["insured_only_in_registry"] = c.member(
        "H03", "钱二", "1952-02-12", sex="女", relation="配偶"
    )
    c.leave_out("roster_medical", ids["insured_only_in_registry"])
    c.roster(
        "roster_medical",
        id_number=ids["insured_only_in_registry"],
        name="钱二",
        year="2017",
        basic="否",
    )
    ids["insured_last_year_only"] = c.member("H03", "赵小", "1980-03-03", relation="之子")
    c.leave_out("roster_medical", ids["insured_last_year_only"])
    c.roster(
        "roster_medical", id_number=ids["insured_last_year_only"], name="赵小", year="2016",
        basic="是",
    )  # fmt: skip
    # 000 item 5: every eligible member (16+, not in school) in the pension scheme
    c.household("H04")
    ids["no_pension"] = c.member("H04", "孙三", "1960-04-04", health="残疾")
    c.leave_out("roster_pension", ids["no_pension"])
    ids["at_college"] = c.member("H04", "孙四", "1999-09-09", relation="之子", school_status="大专")
    c.roster("roster_disabled", id_number=ids["no_pension"], name="孙三", grade="二级")
    # 000 item 42: 低保 and poverty registration both ways
    c.household("H05", attribute="低保贫困户")
    ids["h05_head"] = c.member("H05", "周五", "1958-05-05", dibao="是")
    ids["h05_child"] = c.member("H05", "周小五", "1990-05-05", relation="之子")
    c.roster("roster_civil", id_number=ids["h05_head"], name="周五", kind="低保",
             household_head_id=ids["h05_head"])  # fmt: skip
    c.roster("roster_civil", id_number=ids["h05_child"], name="周小五", kind="低保",
             household_head_id=ids["h05_head"])  # fmt: skip
    c.household("H06", attribute="低保贫困户")
    ids["h06_head"] = c.member("H06", "吴六", "1962-06-06", dibao="是")
    c.household("H07")
    ids["h07_head"] = c.member("H07", "郑七", "1963-07-07")
    c.roster("roster_civil", id_number=ids["h07_head"], name="郑七", kind="特困",
             household_head_id=ids["h07_head"])  # fmt: skip
    # seed 001: 五保低保户 among the five groups to check for missed households (漏评)
    ids["unregistered_head"] = person_id("1955-01-01", 901)
    ids["unregistered_member"] = person_id("1957-01-01", 902)
    c.roster("roster_civil", id_number=ids["unregistered_head"], name="冯八", kind="低保",
             household_head_id=ids["unregistered_head"])  # fmt: skip
    c.roster("roster_civil", id_number=ids["unregistered_member"], name="陈九", kind="低保",
             household_head_id=ids["unregistered_head"])  # fmt: skip
    # 003: houses the housing department found dangerous (错退)
    c.household("H08", housing_grade="A")
    ids["h08_head"] = c.member("H08", "褚十", "1966-10-10")
    c.roster("roster_housing", id_number=ids["h08_head"], name="褚十", grade="D")
    c.household("H09", housing_grade="C", status="已脱贫", exit_year="2016")
    ids["h09_head"] = c.member("H09", "卫一", "1967-11-11")
    c.roster("roster_housing", id_number=ids["h09_head"], name="卫一", grade="C")
    c.household("H10", housing_grade="C")
    ids["h10_head"] = c.member("H10", "蒋二", "1968-12-12")
    c.roster("roster_housing", id_number=ids["h10_head"], name="蒋二", grade="C")
    # disabled persons' roster against registry health
    c.roster("roster_disabled", id_number=ids["h01_spouse"], name="李秀英", grade="二级")
    # 错评 suspects: a car, a company, a public job
    c.roster("roster_vehicles", id_number=ids["h02_head"], name="王建国", vehicle_type="小型轿车",
             plate="云M·12345")  # fmt: skip
    c.roster("roster_vehicles", id_number=ids["h03_head"] if "h03_head" in ids else ids["not_insured"],
             name="赵一", vehicle_type="拖拉机")  # fmt: skip
    c.roster("roster_business", id_number=ids["h05_head"], name="周五", enterprise="龙陵周氏商贸有限公司",
             role="法定代表人", registered_capital="500000")  # fmt: skip
    c.roster("roster_business", id_number=ids["h06_head"], name="吴六", enterprise="龙陵养殖专业合作社",
             role="股东", registered_capital="50000")  # fmt: skip
    c.roster(
        "roster_public_employees", id_number=ids["h07_head"], name="郑七", employer="龙陵县财政局"
    )
    c.roster("roster_public_employees", id_number=person_id("1980-01-01", 905), name="公务员",
             employer="龙陵县教育局")  # fmt: skip
    # ID numbers that fail the check: one in the registry, one in a roster
    c.household("H11", village=VILLAGE_B)
    good = person_id("1971-01-01", 11)
    ids["bad_registry_id"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    c.member("H11", "沈三", "1971-01-01", id_number=ids["bad_registry_id"])
    c.leave_out("roster_medical", ids["h10_head"])
    c.roster("roster_medical", id_number=ids["h10_head"][:-1] + ("0" if ids["h10_head"][-1] != "0" else "1"),
             name="蒋二", birth_date="1968-12-12", sex="男", year="2017", basic="是")  # fmt: skip
    # registry logic checks (the national system's data-quality checks)
    c.household("H12", main_cause="因病")
    c.member("H12", "韩一", "1970-01-02")
    c.household("H13", main_cause="因学")
    c.member("H13", "杨二", "1970-01-03")
    c.household("H14", main_cause="因残")
    c.member("H14", "朱三", "1970-01-04")
    c.household("H15", attribute="特困供养贫困户")
    ids["h15_head"] = c.member("H15", "秦四", "1977-01-05", tekun="是", dibao="是")
    c.roster("roster_civil", id_number=ids["h15_head"], name="秦四", kind="特困")
    c.household("H16", business_income="5000", business_expense="0")
    c.member("H16", "尤五", "1970-01-06")
    c.household("H17", wage_income="0", business_income="0", business_expense="0",
                transfer_income="0")  # fmt: skip
    c.member("H17", "许六", "1970-01-07")
    c.household("H18")
    c.member("H18", "何七", "1970-01-08")
    c.member("H18", "吕八", "1971-01-08", relation="配偶")
    ids["young_high_school"] = c.member("H18", "何小", "2004-01-08", relation="之子",
                                        school_status="高中")  # fmt: skip
    c.household("H19", status="已脱贫", exit_year="2017", wage_income="2000",
                business_income="0", business_expense="0", transfer_income="500")  # fmt: skip
    c.member("H19", "施九", "1970-01-09")
    for k in range(6):
        c.household(f"H2{k}", helper_name="陈帮扶")
        c.member(f"H2{k}", f"孔{k}", f"1975-02-0{k + 1}")
    c.cover()
    return c, ids


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[ComparisonResult, dict[str, str]]:
    county, ids = build()
    registry, rosters = county.write(tmp_path_factory.mktemp("rules"))
    con = open_dataset(registry)
    roster_set = import_rosters(rosters)
    assert roster_set.ok, roster_set.problems
    load_rosters(con, roster_set)
    return compare(con, as_of=AS_OF, rules=load_rules("compare-yunnan-2017")), ids


def rows(result: ComparisonResult, finding: str) -> list[dict[str, Any]]:
    return [r for r in result.findings.to_pylist() if r["finding_id"] == finding]


def people(result: ComparisonResult, finding: str) -> set[str]:
    return {r["id_number"] for r in rows(result, finding)}


def households(result: ComparisonResult, finding: str) -> set[str]:
    return {r["household_id"] for r in rows(result, finding)}


class TestRuleFile:
    def test_it_has_every_finding_of_the_issue_with_name_severity_and_source(self) -> None:
        rules = load_rules("compare-yunnan-2017")
        for finding in FINDING_IDS:
            found = [r for r in rules.rules if r.id == finding]
            assert found, finding
            for r in found:
                assert r.name and r.severity in ("高", "中", "低")
                assert r.source.seed.endswith(".txt") and r.source.item

    def test_it_refuses_a_rule_on_an_unknown_field(self, tmp_path: Path) -> None:
        text = (Path(load_rules("compare-yunnan-2017").file)).read_text(encoding="utf-8")
        broken = tmp_path / "compare-broken-2017.yaml"
        broken.write_text(
            text.replace("id: compare-yunnan-2017", "id: compare-broken-2017").replace(
                "expression: disabled_listed AND", "expression: disabled_flag AND"
            ),
            encoding="utf-8",
        )
        with pytest.raises(PolicyError, match="disabled_flag"):
            load_rules(broken)

    def test_it_refuses_sql_smuggled_into_an_expression(self, tmp_path: Path) -> None:
        text = (Path(load_rules("compare-yunnan-2017").file)).read_text(encoding="utf-8")
        broken = tmp_path / "compare-sql-2017.yaml"
        broken.write_text(
            text.replace("id: compare-yunnan-2017", "id: compare-sql-2017").replace(
                "expression: NOT id_valid\n", "expression: NOT id_valid; DROP TABLE members\n", 1
            ),
            encoding="utf-8",
        )
        with pytest.raises(PolicyError, match="多条语句"):
            load_rules(broken)


class TestFindings:
    def test_a_child_of_compulsory_age_without_a_school_record_or_dropped_out_is_a_dropout(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, ids = case
        assert people(result, "dropout") == {ids["no_student_record"], ids["dropped_out"]}

    def test_teaching_at_home_counts_as_in_school(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, ids = case
        assert ids["taught_at_home"] not in people(result, "dropout")

    def test_members_missing_from_the_medical_roster_of_the_year_are_uninsured(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, ids = case
        assert people(result, "uninsured_medical") == {
            ids["not_insured"],
            ids["insured_only_in_registry"],
            ids["insured_last_year_only"],
        }

    def test_an_adult_not_in_school_missing_from_the_pension_roster_is_a_gap(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, ids = case
        assert people(result, "pension_gap") == {ids["no_pension"]}

    def test_a_dibao_head_not_in_the_registry_is_a_missed_household(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, ids = case
        assert people(result, "dibao_not_registered") == {ids["unregistered_head"]}

    def test_dibao_status_must_agree_both_ways(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, _ = case
        assert households(result, "dibao_flag_mismatch") == {"H06", "H07"}

    def test_a_house_graded_dangerous_is_a_wrong_exit_risk(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, _ = case
        assert households(result, "danger_house") == {"H08", "H09"}

    def test_a_disabled_person_recorded_as_healthy_is_a_mismatch(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, ids = case
        assert people(result, "disabled_mismatch") == {ids["h01_spouse"]}

    def test_cars_large_companies_and_public_jobs_make_wrongly_listed_suspects(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, ids = case
        found = {(r["roster"], r["id_number"]) for r in rows(result, "wrongly_listed")}
        assert found == {
            ("roster_vehicles", ids["h02_head"]),
            ("roster_business", ids["h05_head"]),
            ("roster_public_employees", ids["h07_head"]),
        }

    def test_invalid_ids_are_reported_with_the_probable_record(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, ids = case
        found = rows(result, "id_invalid")
        registry = [r for r in found if r["roster"] is None]
        assert [r["id_number"] for r in registry] == [ids["bad_registry_id"]]
        roster = [r for r in found if r["roster"] == "roster_medical" and r["name"] == "蒋二"]
        assert len(roster) == 1
        assert roster[0]["match_method"] == "probabilistic"
        assert ids["h10_head"] in roster[0]["detail"]
        assert roster[0]["household_id"] == "H10"
        # the registry's own invalid ID, copied into the roster, still matches it exactly
        copied = [r for r in found if r["roster"] == "roster_medical" and r["name"] == "沈三"]
        assert [r["match_method"] for r in copied] == ["exact"]

    def test_a_member_matched_through_a_corrupted_id_is_not_reported_uninsured(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, ids = case
        assert ids["h10_head"] not in people(result, "uninsured_medical")


class TestLogicChecks:
    @pytest.mark.parametrize(
        ("check", "household"),
        [
            ("cause_illness_all_healthy", "H12"),
            ("cause_study_no_student", "H13"),
            ("cause_disability_no_disabled", "H14"),
            ("tekun_able_to_work", "H15"),
            ("business_income_without_expense", "H16"),
            ("income_out_of_range", "H17"),
            ("exited_below_line", "H19"),
        ],
    )
    def test_each_household_check_finds_its_case(
        self, case: tuple[ComparisonResult, dict[str, str]], check: str, household: str
    ) -> None:
        result, _ = case
        assert household in households(result, check)

    def test_the_ordinary_household_passes_every_check(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, _ = case
        checks = [r for r in result.findings.to_pylist() if r["kind"] == "check"]
        assert not [r for r in checks if r["household_id"] == "H02"]

    def test_a_member_with_both_dibao_and_tekun_is_flagged(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, ids = case
        assert people(result, "dibao_and_tekun") == {ids["h15_head"]}

    def test_a_child_of_fourteen_or_less_in_high_school_is_flagged(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, ids = case
        assert people(result, "child_above_level") == {ids["young_high_school"]}

    def test_head_and_spouse_of_the_same_sex_are_flagged(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, _ = case
        assert households(result, "head_spouse_same_sex") == {"H18"}

    def test_a_helper_with_more_households_than_the_cap_is_flagged(
        self, case: tuple[ComparisonResult, dict[str, str]]
    ) -> None:
        result, _ = case
        assert households(result, "helper_over_cap") == {f"H2{k}" for k in range(6)}


class TestSkipping:
    def test_rules_whose_roster_is_missing_are_skipped_and_said_so(self, tmp_path: Path) -> None:
        c = County()
        c.household("H1")
        c.member("H1", "张三", "1970-01-01")
        c.cover()
        registry, rosters = c.write(tmp_path)
        (rosters / "roster_students.csv").unlink(missing_ok=True)
        (rosters / "roster_pension.csv").unlink()
        con = open_dataset(registry)
        load_rosters(con, import_rosters(rosters))
        result = compare(con, as_of=AS_OF, rules=load_rules("compare-yunnan-2017"))
        assert not rows(result, "pension_gap")
        assert any(s.startswith("pension_gap") for s in result.skipped)
        assert any(s.startswith("dropout") for s in result.skipped)

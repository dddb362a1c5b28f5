"""yunnan-2017 village exit criteria (seed 000 items 7-16) and anhui-2018 county exit rules
(seed 001), on hand-made data sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fupin.engine.exit_evaluation import evaluate
from tests.engine.exit_data import (
    AS_OF,
    VILLAGE,
    born_aged,
    household,
    member,
    region,
    village,
    write_dataset,
)

COUNTY = VILLAGE[:6] + "000000"


def poor_household(
    household_id: str, people: int = 1, **fields: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    fields.setdefault("status", "未脱贫")
    hh = household(household_id, **fields)
    return hh, [member(household_id) for _ in range(people)]


def run(
    tmp_path: Path,
    village_fields: dict[str, Any] | None = None,
    households: list[tuple[dict[str, Any], list[dict[str, Any]]]] | None = None,
    population: str = "100",
) -> dict[str, Any]:
    households = households if households is not None else [poor_household("H1")]
    folder = write_dataset(
        tmp_path / "data",
        [h for h, _ in households],
        [m for _, ms in households for m in ms],
        villages=[village(**(village_fields or {}))],
        regions=[region(population=population)],
    )
    rows = {
        r["region_code"]: r for r in evaluate(folder, "yunnan-2017", AS_OF).villages.to_pylist()
    }
    return rows[VILLAGE]


class TestVillageExit:
    def test_a_village_meeting_every_item_exits(self, tmp_path: Path) -> None:
        row = run(tmp_path)
        assert row["incidence"] == pytest.approx(1.0)
        assert row["verdict"] == "达标"
        assert row["failed_criteria"] == ""

    def test_incidence_of_exactly_two_percent_is_not_below_two(self, tmp_path: Path) -> None:
        """7(2) 综合贫困发生率控制在2%以内: 2 poor people of 100 is 2 %."""
        row = run(tmp_path, households=[poor_household("H1", people=2)])
        assert row["incidence"] == pytest.approx(2.0)
        assert row["c_incidence"] is False
        assert "贫困发生率2%，未低于2%" in row["gaps"]

    def test_exited_households_do_not_count_as_poor(self, tmp_path: Path) -> None:
        hh, members = poor_household("H1", people=5)
        hh["status"] = "已脱贫"
        row = run(tmp_path, households=[(hh, members)])
        assert row["incidence"] == 0
        assert row["c_incidence"] is True

    def test_a_village_without_population_has_an_unknown_incidence(self, tmp_path: Path) -> None:
        row = run(tmp_path, population="")
        assert row["c_incidence"] is None
        assert row["verdict"] == "数据不全"

    @pytest.mark.parametrize(
        ("field", "criterion"),
        [
            ("road_hardened", "road"),  # 8
            ("power_10kv", "power"),  # 9
            ("broadband", "broadband"),  # 11
            ("water_secure", "water"),  # 12
            ("clinic_standard", "clinic"),  # 13
            ("activity_venue", "activity_venue"),  # 14
        ],
    )
    def test_a_missing_facility_fails_its_item(
        self, tmp_path: Path, field: str, criterion: str
    ) -> None:
        row = run(tmp_path, {field: "否"})
        assert row[f"c_{criterion}"] is False
        assert row["failed_criteria"] == criterion

    def test_tv_coverage_below_ninety_nine_percent_fails(self, tmp_path: Path) -> None:
        """10 广播电视覆盖率达到99%."""
        row = run(tmp_path, {"tv_coverage": "98.5"})
        assert row["failed_criteria"] == "tv"
        assert "广播电视覆盖率98.50%，低于99%" in row["gaps"]

    def test_a_village_without_a_village_doctor_fails_the_clinic_item(self, tmp_path: Path) -> None:
        """13 每所村卫生室至少有1名乡村医生执业."""
        assert run(tmp_path, {"village_doctors": "0"})["failed_criteria"] == "clinic"

    def test_a_household_fetching_water_farther_than_one_km_fails_the_water_item(
        self, tmp_path: Path
    ) -> None:
        """12 人力取水半径不超过1公里."""
        far = poor_household("H1", water_distance_km="1.5")
        near = poor_household("H2", water_distance_km="1", status="已脱贫")
        assert run(tmp_path, households=[far, near])["failed_criteria"] == "water"
        assert run(tmp_path / "b", households=[near])["c_water"] is True

    def test_a_school_age_child_out_of_school_fails_the_enrolment_item(
        self, tmp_path: Path
    ) -> None:
        """15 贫困家庭适龄儿童少年义务教育入学率达到国家规定标准."""
        hh, members = poor_household("H1")
        members.append(
            member("H1", birth_date=born_aged(9), relation="之子", school_status="非在校生")
        )
        row = run(tmp_path, households=[(hh, members)], population="1000")
        assert row["failed_criteria"] == "school_age_enrolment"
        assert "有1户有适龄儿童少年失学" in row["gaps"]

    def test_collective_income_of_twenty_thousand_is_enough(self, tmp_path: Path) -> None:
        """16 集体经济收入达2—5万元以上 (the lower bound, 20,000 yuan)."""
        assert run(tmp_path, {"collective_income": "20000"})["c_collective_income"] is True
        row = run(tmp_path / "b", {"collective_income": "19999"})
        assert row["failed_criteria"] == "collective_income"
        assert "集体经济收入19,999元，低于20,000元" in row["gaps"]


class TestCountyExit:
    """seed 001 一(一): 贫困发生率降至2%以下，贫困村全部出列，农村居民人均可支配收入增幅高于全省;
    三(三): 错退率、漏评率高于2%或群众认可度低于90%的，开展专项整改."""

    def evaluate_county(
        self,
        tmp_path: Path,
        village_fields: dict[str, Any],
        facts: dict[str, float],
        people: int = 1,
    ) -> dict[str, Any]:
        folder = write_dataset(
            tmp_path / "data",
            [poor_household("H1", people)[0]],
            poor_household("H1", people)[1],
            villages=[village(**village_fields)],
            regions=[
                region(population="100"),
                region(COUNTY, name="示范县", level="县", poverty_flag="国定贫困县", population=""),
            ],
        )
        results = evaluate(folder, "anhui-2018", AS_OF, county_facts={COUNTY: facts})
        counties = {c["region_code"]: c for c in results.summary["counties"]}
        return counties[COUNTY]

    GOOD = {
        "rural_income_growth": 9.5,
        "province_rural_income_growth": 8.0,
        "wrong_exit_rate": 1.0,
        "missed_rate": 0.5,
        "recognition_rate": 95.0,
    }

    def test_a_county_meeting_every_rule_exits(self, tmp_path: Path) -> None:
        county = self.evaluate_county(tmp_path, {}, self.GOOD)
        assert county["incidence"] == pytest.approx(1.0)
        assert county["verdict"] == "达标"
        assert county["rectification_criteria"] == []

    def test_a_county_at_two_percent_incidence_does_not_exit(self, tmp_path: Path) -> None:
        county = self.evaluate_county(tmp_path, {}, self.GOOD, people=2)
        # the poor village is at 2 % too, so it has not exited either
        assert county["failed_criteria"] == ["incidence", "villages_exited"]
        assert "贫困发生率2%，未降至2%以下" in county["gaps"]

    def test_a_poor_village_not_exited_keeps_the_county_from_exiting(self, tmp_path: Path) -> None:
        county = self.evaluate_county(tmp_path, {"leading_industry": "否"}, self.GOOD)
        assert county["failed_criteria"] == ["villages_exited"]
        assert "有1个贫困村未达到出列标准" in county["gaps"]

    def test_income_growth_equal_to_the_province_is_not_above_it(self, tmp_path: Path) -> None:
        facts = dict(self.GOOD, rural_income_growth=8.0)
        assert self.evaluate_county(tmp_path, {}, facts)["failed_criteria"] == ["income_growth"]

    def test_rates_above_the_thresholds_call_for_rectification_without_blocking_exit(
        self, tmp_path: Path
    ) -> None:
        facts = dict(self.GOOD, wrong_exit_rate=2.5, missed_rate=2.0, recognition_rate=89.9)
        county = self.evaluate_county(tmp_path, {}, facts)
        assert county["verdict"] == "达标"
        assert county["rectification_criteria"] == ["recognition", "wrong_exit_rate"]

    def test_missing_statistics_leave_the_county_verdict_incomplete(self, tmp_path: Path) -> None:
        county = self.evaluate_county(tmp_path, {}, {})
        assert county["verdict"] == "数据不全"
        assert county["unknown_criteria"] == ["income_growth"]

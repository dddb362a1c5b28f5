"""The region of a finding on a roster row that matched no registry household.

A valid resident ID's first six digits are the county of 户籍 registration (GB 11643 address
code, GB/T 2260), so such a finding is reported under that county (its 12-digit code, the six
digits and 000000) when the registry has the county, and says so; otherwise it has no region.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from fupin.engine import idcard
from fupin.engine.comparison.rosters import import_rosters, load_rosters
from fupin.engine.comparison.rules import load_rules
from fupin.engine.comparison.run import compare
from fupin.engine.dataset import open_dataset
from tests.comparison.builder import COUNTY, VILLAGE_A, County

AS_OF = dt.date(2017, 12, 31)
OTHER_COUNTY = "530524000000"  # 施甸县, in the registry but with no household in this data


def other_county(c: County) -> None:
    c.regions.append(
        {"code": OTHER_COUNTY, "name": "施甸县", "level": "县", "parent_code": "530500000000",
         "poverty_flag": "国定贫困县", "population": "1000"}
    )  # fmt: skip


def civil_head(c: County, id_number: str, name: str) -> None:
    c.roster("roster_civil", id_number=id_number, name=name, kind="低保",
             household_head_id=id_number)  # fmt: skip


def findings(tmp_path: Path, c: County) -> list[dict[str, Any]]:
    registry, rosters = c.write(tmp_path)
    con = open_dataset(registry)
    roster_set = import_rosters(rosters)
    assert roster_set.ok, roster_set.problems
    load_rosters(con, roster_set)
    result = compare(con, as_of=AS_OF, rules=load_rules("compare-yunnan-2017"))
    return result.findings.to_pylist()


def missed(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """name -> the 漏评 suspect finding (a 低保 head not in the registry)."""
    return {r["name"]: r for r in rows if r["finding_id"] == "dibao_not_registered"}


@pytest.fixture
def county() -> County:
    c = County()
    other_county(c)
    c.household("H1")
    c.member("H1", "王丽", "1980-07-21", sex="女")
    return c


class TestUnmatchedRowRegion:
    def test_a_row_without_household_goes_to_the_county_of_its_id(
        self, tmp_path: Path, county: County
    ) -> None:
        civil_head(county, idcard.make("530523", dt.date(1955, 1, 1), 901), "冯八")
        [found] = missed(findings(tmp_path, county)).values()
        assert found["household_id"] is None and found["match_method"] is None
        assert found["region_code"] == COUNTY
        assert found["detail"].endswith("（按身份证号前六位归属到龙陵县）")

    def test_another_county_of_the_registry_gets_its_own_rows(
        self, tmp_path: Path, county: County
    ) -> None:
        civil_head(county, idcard.make("530524", dt.date(1957, 2, 2), 903), "孙十")
        [found] = missed(findings(tmp_path, county)).values()
        assert found["region_code"] == OTHER_COUNTY
        assert "按身份证号前六位归属到施甸县" in found["detail"]

    def test_a_county_the_registry_does_not_have_leaves_the_region_empty(
        self, tmp_path: Path, county: County
    ) -> None:
        civil_head(county, idcard.make("530102", dt.date(1960, 3, 3), 905), "钱十一")  # 昆明
        [found] = missed(findings(tmp_path, county)).values()
        assert found["region_code"] is None
        assert "归属" not in found["detail"]

    def test_an_invalid_id_gives_no_county(self, tmp_path: Path, county: County) -> None:
        # which character of a failing ID is wrong is unknown: it may be one of the six
        good = idcard.make("530523", dt.date(1961, 4, 4), 907)
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        civil_head(county, bad, "李十二")
        rows = [r for r in findings(tmp_path, county) if r["name"] == "李十二"]
        assert {r["finding_id"] for r in rows} == {"dibao_not_registered", "id_invalid"}
        assert all(r["region_code"] is None and "归属" not in r["detail"] for r in rows)

    def test_a_matched_row_keeps_its_households_village(
        self, tmp_path: Path, county: County
    ) -> None:
        spouse = county.member("H1", "张强", "1979-01-02", relation="配偶")
        county.roster(
            "roster_public_employees", id_number=spouse, name="张强", employer="龙陵县财政局"
        )
        [found] = [r for r in findings(tmp_path, county) if r["finding_id"] == "wrongly_listed"]
        assert (found["household_id"], found["region_code"]) == ("H1", VILLAGE_A)
        assert "归属" not in found["detail"]

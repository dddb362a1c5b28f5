"""Small hand-made data sets in the standard format for the exit-standard tests.

A household built from `household()` with members from `member()` and one support measure meets
every criterion of yunnan-2017 on AS_OF; each test changes the one thing it is about.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

AS_OF = dt.date(2017, 12, 31)
VILLAGE = "530102001001"


def household(household_id: str = "H1", **fields: Any) -> dict[str, Any]:
    row = {
        "household_id": household_id,
        "region_code": VILLAGE,
        "head_name": "张三",
        "head_id_number": "",
        "attribute": "一般贫困户",
        "main_cause": "因病",
        "other_causes": "",
        "status": "未脱贫",
        "wage_income": "20000",
        "business_income": "",
        "business_expense": "",
        "property_income": "",
        "transfer_income": "",
        "food_secure": "是",
        "clothing_secure": "是",
        "water_safe": "是",
        "housing_grade": "A",
        "housing_renovated": "",
        "relocated": "否",
        "relocation_moved_in": "",
        "relocation_self_funds": "",
        "housing_debt": "",
        "education_burden": "",
        "medical_out_of_pocket": "",
        "family_doctor": "是",
    }
    row.update(fields)
    return row


_ids = iter(range(1, 10**6))


def member(
    household_id: str = "H1", birth_date: str = "1980-05-01", **fields: Any
) -> dict[str, Any]:
    row = {
        "household_id": household_id,
        "id_number": f"M{next(_ids)}",
        "name": "成员",
        "sex": "男",
        "birth_date": birth_date,
        "relation": "户主",
        "school_status": "非在校生",
        "health": "健康",
        "medical_insured": "是",
        "critical_illness_insured": "是",
        "pension_insured": "是",
    }
    row.update(fields)
    return row


def born_aged(age: int, *, birthday_passed: bool = True) -> str:
    """A birth date giving exactly `age` full years on AS_OF (31 December)."""
    year = AS_OF.year - age
    return f"{year}-06-01" if birthday_passed else f"{year - 1}-12-31"


def measure(household_id: str = "H1", year: int = 2017) -> dict[str, Any]:
    return {
        "household_id": household_id,
        "year": str(year),
        "kind": "产业扶持",
        "description": "种植",
    }


def write_csv(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None) -> None:
    fields = header or (list(rows[0]) if rows else [])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def write_dataset(
    folder: Path,
    households: list[dict[str, Any]],
    members: list[dict[str, Any]],
    measures: list[dict[str, Any]] | None = None,
    villages: list[dict[str, Any]] | None = None,
    regions: list[dict[str, Any]] | None = None,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "households.csv", households)
    write_csv(folder / "members.csv", members, list(member()))
    if measures is None:
        measures = [measure(h["household_id"]) for h in households]
    write_csv(folder / "measures.csv", measures, list(measure()))
    if villages is not None:
        write_csv(folder / "villages.csv", villages, list(village()))
    if regions is not None:
        write_csv(folder / "regions.csv", regions, list(region()))
    return folder


def village(region_code: str = VILLAGE, **fields: Any) -> dict[str, Any]:
    row = {
        "region_code": region_code,
        "road_hardened": "是",
        "power_10kv": "是",
        "tv_coverage": "99",
        "broadband": "是",
        "water_secure": "是",
        "clinic_standard": "是",
        "village_doctors": "1",
        "activity_venue": "是",
        "collective_income": "20000",
        "leading_industry": "是",
    }
    row.update(fields)
    return row


def region(code: str = VILLAGE, **fields: Any) -> dict[str, Any]:
    row = {
        "code": code,
        "name": "示范村",
        "level": "村",
        "parent_code": code[:9] + "000",
        "poverty_flag": "贫困村",
        "population": "100",
    }
    row.update(fields)
    return row

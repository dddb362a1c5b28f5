"""A small hand-made data set in the standard format, written as real CSV files."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from fupin.engine import idcard
from fupin.engine.standard_format import REGISTRY_TABLES

COUNTY = "530523000000"
TOWN = "530523100000"
VILLAGE_A = "530523100001"
VILLAGE_B = "530523100002"


def pid(birth: str, seq: int) -> str:
    return idcard.make("530523", dt.date.fromisoformat(birth), seq)


def rows() -> dict[str, list[dict[str, str]]]:
    regions = [
        {
            "code": "530000000000",
            "name": "云南省",
            "level": "省",
            "parent_code": "",
            "poverty_flag": "",
            "population": "",
        },
        {
            "code": "530500000000",
            "name": "保山市",
            "level": "市",
            "parent_code": "530000000000",
            "poverty_flag": "",
            "population": "",
        },
        {
            "code": COUNTY,
            "name": "龙陵县",
            "level": "县",
            "parent_code": "530500000000",
            "poverty_flag": "国定贫困县",
            "population": "2100",
        },
        {
            "code": TOWN,
            "name": "龙山镇",
            "level": "乡",
            "parent_code": COUNTY,
            "poverty_flag": "",
            "population": "2100",
        },
        {
            "code": VILLAGE_A,
            "name": "新寨村",
            "level": "村",
            "parent_code": TOWN,
            "poverty_flag": "贫困村",
            "population": "1200",
        },
        {
            "code": VILLAGE_B,
            "name": "大坪村",
            "level": "村",
            "parent_code": TOWN,
            "poverty_flag": "非贫困村",
            "population": "900",
        },
    ]
    base = {
        "group_name": "一组",
        "phone": "",
        "attribute": "一般贫困户",
        "main_cause": "因病",
        "other_causes": "",
        "status": "未脱贫",
        "policy_ended": "",
        "identified_year": "2015",
        "exit_year": "",
        "wage_income": "6000",
        "business_income": "3000",
        "business_expense": "1000",
        "property_income": "0",
        "transfer_income": "1200.5",
        "food_secure": "是",
        "clothing_secure": "是",
        "water_safe": "是",
        "water_distance_km": "",
        "housing_grade": "B",
        "housing_renovated": "",
        "relocated": "否",
        "relocation_moved_in": "",
        "relocation_self_funds": "0",
        "housing_debt": "0",
        "education_burden": "0",
        "medical_out_of_pocket": "800",
        "family_doctor": "是",
        "helper_name": "李明",
        "helper_unit": "县扶贫办",
        "helper_phone": "13800000001",
    }
    households = [
        dict(
            base,
            household_id="H001",
            region_code=VILLAGE_A,
            head_name="张三",
            head_id_number=pid("1970-03-05", 11),
        ),
        dict(
            base,
            household_id="H002",
            region_code=VILLAGE_A,
            head_name="王丽",
            head_id_number=pid("1980-07-21", 22),
            status="已脱贫",
            exit_year="2017",
            main_cause="因学",
            other_causes="缺技术;缺资金",
        ),
        dict(
            base,
            household_id="H003",
            region_code=VILLAGE_B,
            head_name="赵六",
            head_id_number=pid("1955-12-31", 31),
            attribute="低保贫困户",
            housing_grade="C",
        ),
    ]
    member = {
        "ethnicity": "汉族",
        "education_level": "初中",
        "school_status": "非在校生",
        "health": "健康",
        "labor_ability": "普通劳动力",
        "work_status": "县内务工",
        "work_months": "6",
        "medical_insured": "是",
        "critical_illness_insured": "是",
        "pension_insured": "是",
        "dibao": "否",
        "tekun": "否",
    }
    members = [
        dict(
            member,
            household_id="H001",
            id_number=pid("1970-03-05", 11),
            name="张三",
            sex="男",
            birth_date="1970-03-05",
            relation="户主",
        ),
        dict(
            member,
            household_id="H001",
            id_number=pid("1972-04-06", 12),
            name="李四",
            sex="女",
            birth_date="1972-04-06",
            relation="配偶",
            health="长期慢性病",
        ),
        dict(
            member,
            household_id="H001",
            id_number=pid("2010-09-01", 13),
            name="张小",
            sex="男",
            birth_date="2010-09-01",
            relation="之子",
            school_status="初中",
            education_level="小学",
            labor_ability="无劳动力",
            work_status="未务工",
            work_months="0",
            pension_insured="否",
        ),
        dict(
            member,
            household_id="H002",
            id_number=pid("1980-07-21", 22),
            name="王丽",
            sex="女",
            birth_date="1980-07-21",
            relation="户主",
        ),
        dict(
            member,
            household_id="H002",
            id_number=pid("2005-01-15", 23),
            name="王强",
            sex="男",
            birth_date="2005-01-15",
            relation="之子",
            school_status="高中",
            health="残疾;患有大病",
        ),
        dict(
            member,
            household_id="H003",
            id_number=pid("1955-12-31", 31),
            name="赵六",
            sex="男",
            birth_date="1955-12-31",
            relation="户主",
            dibao="是",
            labor_ability="弱劳动力或半劳动力",
        ),
    ]
    measures = [
        {
            "household_id": "H001",
            "year": "2017",
            "kind": "产业扶持",
            "description": "发放猪仔2头",
            "amount": "1600",
        },
        {
            "household_id": "H001",
            "year": "2017",
            "kind": "健康扶贫",
            "description": "家庭医生签约",
            "amount": "",
        },
        {
            "household_id": "H002",
            "year": "2017",
            "kind": "教育资助",
            "description": "高中助学金",
            "amount": "2000",
        },
    ]
    villages = [
        {
            "region_code": VILLAGE_A,
            "road_hardened": "是",
            "power_10kv": "是",
            "tv_coverage": "99.5",
            "broadband": "是",
            "water_secure": "是",
            "clinic_standard": "是",
            "village_doctors": "2",
            "activity_venue": "是",
            "collective_income": "35000",
            "leading_industry": "是",
        },
    ]
    return {
        "regions": regions,
        "households": households,
        "members": members,
        "measures": measures,
        "villages": villages,
    }


def write(
    folder: Path, data: dict[str, list[dict[str, str]]] | None = None, *, chinese: bool = False
) -> Path:
    data = data if data is not None else rows()
    folder.mkdir(parents=True, exist_ok=True)
    for table in REGISTRY_TABLES:
        if table.name not in data:
            continue
        with (folder / table.file_name).open("w", encoding="utf-8", newline="") as out:
            w = csv.writer(out)
            w.writerow([f.label if chinese else f.name for f in table.fields])
            for row in data[table.name]:
                w.writerow([row.get(f.name, "") for f in table.fields])
    return folder


def read(folder: Path) -> dict[str, set[tuple[str, ...]]]:
    """Every table of a CSV folder as a set of rows keyed by English field name order."""
    out = {}
    for table in REGISTRY_TABLES:
        with (folder / table.file_name).open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            names = table.header_map()
            out[table.name] = {
                tuple(
                    r[h]
                    for h in sorted(
                        reader.fieldnames or [], key=lambda h: table.field_names.index(names[h])
                    )
                )
                for r in reader
            }
    return out

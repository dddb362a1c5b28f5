"""A hand-made county in the standard format: stable exited households, and three planted risks.

Two townships, four villages (and a second county with one stable household), 24 exited households that are all well above the line (3× the
3,200 yuan income, wage income, healthy, safe housing, modest medical and schooling costs),
some households not yet exited (some of them ill: the rules must not raise them), and three
planted exited households:

- DROP: per-capita net income fell to 4,000 yuan (< 1.5 × 3,200);
- ILL: a member now 患有大病;
- DISASTER: the house was damaged, graded D and not renovated.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fupin.engine import idcard
from tests.registry import dataset

PROVINCE, CITY, COUNTY = "530000000000", "530500000000", "530523000000"
TOWN_A, TOWN_B = "530523100000", "530523200000"
VILLAGES = {
    "530523100001": ("新寨村", TOWN_A),
    "530523100002": ("大坪村", TOWN_A),
    "530523200001": ("河头村", TOWN_B),
    "530523200002": ("松山村", TOWN_B),
}
OTHER_COUNTY, OTHER_TOWN, OTHER_VILLAGE = "530524000000", "530524100000", "530524100001"
DROP, ILL, DISASTER = "D0001", "D0002", "D0003"
PLANTED = {DROP: "收入下降", ILL: "大病", DISASTER: "灾害"}
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "建国志强秀英桂芳海燕国华明辉"


def _region(code, name, level, parent, flag="", population="1000"):
    return {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent,
        "poverty_flag": flag,
        "population": population,
    }


def _person(n: int, birth: str) -> str:
    return idcard.make("530523", dt.date.fromisoformat(birth), 100 + n)


HOUSEHOLD = {
    "group_name": "一组",
    "phone": "13912345678",
    "attribute": "一般贫困户",
    "main_cause": "缺技术",
    "other_causes": "",
    "status": "已脱贫",
    "policy_ended": "否",
    "identified_year": "2014",
    "exit_year": "2016",
    "wage_income": "24000",
    "business_income": "6000",
    "business_expense": "1200",
    "property_income": "0",
    "transfer_income": "0",
    "food_secure": "是",
    "clothing_secure": "是",
    "water_safe": "是",
    "water_distance_km": "",
    "housing_grade": "A",
    "housing_renovated": "",
    "relocated": "否",
    "relocation_moved_in": "",
    "relocation_self_funds": "0",
    "housing_debt": "0",
    "education_burden": "500",
    "medical_out_of_pocket": "300",
    "family_doctor": "是",
    "helper_name": "李明",
    "helper_unit": "县扶贫办",
    "helper_phone": "13800000001",
}
MEMBER = {
    "ethnicity": "汉族",
    "education_level": "初中",
    "school_status": "非在校生",
    "health": "健康",
    "labor_ability": "普通劳动力",
    "work_status": "县内务工",
    "work_months": "10",
    "medical_insured": "是",
    "critical_illness_insured": "是",
    "pension_insured": "是",
    "dibao": "否",
    "tekun": "否",
}


def rows(*, planted: bool = True) -> dict[str, list[dict[str, str]]]:
    regions = [
        _region(PROVINCE, "云南省", "省", "", population=""),
        _region(CITY, "保山市", "市", PROVINCE, population=""),
        _region(COUNTY, "龙陵县", "县", CITY, "国定贫困县", "4000"),
        _region(TOWN_A, "龙山镇", "乡", COUNTY, population="2000"),
        _region(TOWN_B, "镇安镇", "乡", COUNTY, population="2000"),
    ]
    for code, (name, town) in VILLAGES.items():
        regions.append(_region(code, name, "村", town, "贫困村"))
    regions += [
        _region(OTHER_COUNTY, "施甸县", "县", CITY, "国定贫困县"),
        _region(OTHER_TOWN, "甸阳镇", "乡", OTHER_COUNTY),
        _region(OTHER_VILLAGE, "河湾村", "村", OTHER_TOWN, "贫困村"),
    ]
    households: list[dict[str, str]] = []
    members: list[dict[str, str]] = []
    measures: list[dict[str, str]] = []
    village_codes = list(VILLAGES)
    n = 0

    def add(hid: str, village: str, status: str, **changes: str) -> None:
        nonlocal n
        n += 1
        head_birth = f"{1960 + n % 20}-0{1 + n % 9}-1{n % 9}"
        head_id = _person(2 * n, head_birth)
        head = SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)] + GIVEN[(n + 3) % len(GIVEN)]
        spouse_birth = f"{1962 + n % 20}-0{1 + n % 9}-2{n % 9}"
        member_health = changes.pop("member_health", "健康")
        household = dict(
            HOUSEHOLD,
            household_id=hid,
            region_code=village,
            head_name=head,
            head_id_number=head_id,
            status=status,
        )
        if status != "已脱贫":
            household.update(exit_year="", policy_ended="")
        household.update(changes)
        households.append(household)
        members.append(
            dict(
                MEMBER,
                household_id=hid,
                id_number=head_id,
                name=head,
                sex=idcard.parse(head_id).sex,
                birth_date=head_birth,
                relation="户主",
            )
        )
        spouse_id = _person(2 * n + 1, spouse_birth)
        members.append(
            dict(
                MEMBER,
                household_id=hid,
                id_number=spouse_id,
                name="何" + GIVEN[n % len(GIVEN)] + "花",
                sex=idcard.parse(spouse_id).sex,
                birth_date=spouse_birth,
                relation="配偶",
                health=member_health,
            )
        )
        measures.append(
            {
                "household_id": hid,
                "year": "2018",
                "kind": "产业扶持",
                "description": "种植核桃",
                "amount": "2000",
            }
        )

    for i in range(24):
        add(f"S{i + 1:04d}", village_codes[i % 4], "已脱贫")
    # not exited, ill, poor: monitoring is for exited households, so no rule raises these
    add("P0001", village_codes[0], "未脱贫", wage_income="2000", member_health="患有大病")
    add("P0002", village_codes[2], "未脱贫", housing_grade="D", wage_income="1000")
    add("O0001", OTHER_VILLAGE, "已脱贫")  # another county: stable
    if planted:
        add(DROP, village_codes[1], "已脱贫", wage_income="6000", business_income="3000")
        add(ILL, village_codes[2], "已脱贫", member_health="患有大病")
        add(DISASTER, village_codes[3], "已脱贫", housing_grade="D", housing_renovated="否")
    return {
        "regions": regions,
        "households": households,
        "members": members,
        "measures": measures,
        "villages": [],
    }


def write(folder: Path, *, planted: bool = True) -> Path:
    return dataset.write(folder, rows(planted=planted))

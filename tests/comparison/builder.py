"""Hand-made registries and rosters in the standard format, written as real CSV files.

A `County` holds one county with two villages; households and members are added in a line
each, with everything else filled in with ordinary values (a household above the line, every
member healthy, insured, not in school), so a test states only what its case is about.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from fupin.engine import idcard
from fupin.engine.standard_format import ALL_TABLES, REGISTRY_TABLES

COUNTY = "530523000000"
TOWN = "530523100000"
VILLAGE_A = "530523100001"
VILLAGE_B = "530523100002"
REGION_PREFIX = "530523"

REGIONS = [
    {"code": "530000000000", "name": "云南省", "level": "省", "parent_code": ""},
    {"code": "530500000000", "name": "保山市", "level": "市", "parent_code": "530000000000"},
    {"code": COUNTY, "name": "龙陵县", "level": "县", "parent_code": "530500000000",
     "poverty_flag": "国定贫困县", "population": "3000"},
    {"code": TOWN, "name": "龙山镇", "level": "乡", "parent_code": COUNTY},
    {"code": VILLAGE_A, "name": "新寨村", "level": "村", "parent_code": TOWN,
     "poverty_flag": "贫困村", "population": "1500"},
    {"code": VILLAGE_B, "name": "大坪村", "level": "村", "parent_code": TOWN,
     "poverty_flag": "非贫困村", "population": "1500"},
]  # fmt: skip

HOUSEHOLD = {
    "group_name": "一组",
    "attribute": "一般贫困户",
    "main_cause": "缺技术",
    "status": "未脱贫",
    "identified_year": "2015",
    "wage_income": "12000",
    "business_income": "3000",
    "business_expense": "1000",
    "property_income": "0",
    "transfer_income": "1000",
    "food_secure": "是",
    "clothing_secure": "是",
    "water_safe": "是",
    "housing_grade": "A",
    "relocated": "否",
    "family_doctor": "是",
    "helper_unit": "县扶贫办",
}

MEMBER = {
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


def person_id(birth: str, sequence: int) -> str:
    return idcard.make(REGION_PREFIX, dt.date.fromisoformat(birth), sequence)


class County:
    def __init__(self) -> None:
        self.regions: list[dict[str, str]] = list(REGIONS)
        self.households: list[dict[str, str]] = []
        self.members: list[dict[str, str]] = []
        self.rosters: dict[str, list[dict[str, str]]] = {}
        self.left_out: dict[str, set[str]] = {}
        self._sequence = 100

    def household(self, household_id: str, *, village: str = VILLAGE_A, **fields: str) -> str:
        row = dict(HOUSEHOLD, household_id=household_id, region_code=village)
        row["helper_name"] = f"帮扶人{household_id}"  # one helper per household unless given
        row.update(fields)
        self.households.append(row)
        return household_id

    def member(
        self,
        household_id: str,
        name: str,
        birth: str,
        *,
        sex: str = "男",
        relation: str = "户主",
        id_number: str | None = None,
        **fields: str,
    ) -> str:
        """Add a member; returns the ID number (a valid one made up unless given)."""
        if id_number is None:
            self._sequence += 2
            sequence = 100 + self._sequence % 898 + (1 if sex == "男" else 0)
            id_number = person_id(birth, sequence)
        row = dict(
            MEMBER,
            household_id=household_id,
            id_number=id_number,
            name=name,
            sex=sex,
            birth_date=birth,
            relation=relation,
        )
        row.update(fields)
        self.members.append(row)
        if relation == "户主":
            for h in self.households:
                if h["household_id"] == household_id:
                    h["head_name"] = name
                    h["head_id_number"] = id_number
        return id_number

    def roster(self, table: str, **row: str) -> None:
        self.rosters.setdefault(table, []).append(row)

    def leave_out(self, table: str, id_number: str) -> None:
        """Keep a member out of the roster `cover` fills in."""
        self.left_out.setdefault(table, set()).add(id_number)

    def cover(self, year: str = "2017", as_of: str = "2017-12-31") -> None:
        """Fill the medical, pension and student rosters as a county where all is in order would
        have them: every member insured, every adult not in school in the pension roster, every
        member in school on the student roll; except the members left out."""
        day = dt.date.fromisoformat(as_of)
        for m in self.members:
            person = {k: m[k] for k in ("id_number", "name", "sex", "birth_date")}
            born = dt.date.fromisoformat(m["birth_date"])
            age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
            if m["id_number"] not in self.left_out.get("roster_medical", set()):
                self.roster(
                    "roster_medical", **person, year=year, basic="是", critical_illness="是"
                )
            in_school = m["school_status"] not in ("非在校生", "学前教育", "")
            pension = m["id_number"] not in self.left_out.get("roster_pension", set())
            if age >= 16 and not in_school and pension:
                self.roster("roster_pension", **person, year=year, status="参保")
            if in_school and m["id_number"] not in self.left_out.get("roster_students", set()):
                self.roster("roster_students", **person, school="龙山小学", enrolment="在读")

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Write the registry to folder/registry and the rosters to folder/rosters."""
        registry = folder / "registry"
        rosters = folder / "rosters"
        registry.mkdir(parents=True, exist_ok=True)
        rosters.mkdir(parents=True, exist_ok=True)
        data = {"regions": self.regions, "households": self.households, "members": self.members}
        for table in REGISTRY_TABLES:
            if table.name in data:
                write_csv(registry / table.file_name, table.field_names, data[table.name])
        for name, rows in self.rosters.items():
            write_csv(rosters / f"{name}.csv", ALL_TABLES[name].field_names, rows)
        return registry, rosters


def write_csv(path: Path, header: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})


def small_county() -> County:
    """Two households, one in each village of 龙陵县, each with one member missing from the
    medical roster (the only roster given)."""
    c = County()
    c.household("A1", village=VILLAGE_A)
    a = c.member("A1", "王丽", "1980-07-21", sex="女")
    c.member("A1", "张强", "1979-01-02", relation="配偶")
    c.household("B1", village=VILLAGE_B)
    b = c.member("B1", "李四", "1960-01-05")
    c.member("B1", "赵梅", "1962-03-04", sex="女", relation="配偶")
    c.leave_out("roster_medical", a)
    c.leave_out("roster_medical", b)
    c.cover()
    c.rosters = {"roster_medical": c.rosters["roster_medical"]}
    return c

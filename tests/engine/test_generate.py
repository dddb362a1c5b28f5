"""The demo data generator: a synthetic data set in the standard format, with planted errors.

The planted.csv ground truth is checked both ways: every planted row is really in the rosters
as described, and every situation it names occurs only where it was planted.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from fupin.engine import idcard
from fupin.engine.generate import generate, reference_date
from fupin.engine.standard_format import (
    ALL_TABLES,
    CAUSES,
    REGISTRY_TABLES,
    ROSTER_TABLES,
    SCHOOL_STATUSES,
)
from fupin.engine.tables import open_table, parse_row

SEED = 20170901
YEAR = 2019
AS_OF = reference_date(YEAR)


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def age_on(birth: str, day: dt.date) -> int:
    b = dt.date.fromisoformat(birth)
    return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(out, counties=3, households_per_county=400, seed=SEED, year=YEAR)
    return out


class Data:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.regions = {r["code"]: r for r in read(folder, "regions")}
        self.households = {h["household_id"]: h for h in read(folder, "households")}
        self.members = read(folder, "members")
        self.by_id = {m["id_number"]: m for m in self.members}
        self.rosters = {t.name: read(folder, t.name) for t in ROSTER_TABLES}
        self.planted = read(folder, "planted")
        self.planted_ids: dict[str, set[str]] = defaultdict(set)
        self.planted_at: dict[tuple[str, str], set[str]] = defaultdict(set)
        for p in self.planted:
            self.planted_ids[p["kind"]].add(p["id_number"])
            self.planted_at[(p["kind"], p["roster"])].add(p["id_number"])

        self._ids: dict[str, dict[str, dict[str, str]]] = {}

    def roster_ids(self, roster: str) -> dict[str, dict[str, str]]:
        if roster not in self._ids:
            self._ids[roster] = {r["id_number"]: r for r in self.rosters[roster] if r["id_number"]}
        return self._ids[roster]

    def present(self, roster: str, id_number: str) -> bool:
        """In the roster under the true ID, or under an ID planted as corrupted there."""
        return (
            id_number in self.roster_ids(roster)
            or id_number in self.planted_at[("id_invalid", roster)]
        )

    def age(self, member: dict[str, str]) -> int:
        return age_on(member["birth_date"], AS_OF)


@pytest.fixture(scope="module")
def d(folder: Path) -> Data:
    return Data(folder)


class TestDeterminism:
    def test_the_same_seed_writes_byte_identical_files(self, tmp_path: Path) -> None:
        generate(tmp_path / "a", counties=2, households_per_county=120, seed=5)
        generate(tmp_path / "b", counties=2, households_per_county=120, seed=5)
        names = sorted(p.name for p in (tmp_path / "a").iterdir())
        assert "planted.csv" in names and "roster_students.csv" in names
        assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
        for name in names:
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), (
                name
            )

    def test_another_seed_writes_other_people(self, tmp_path: Path) -> None:
        generate(tmp_path / "a", counties=1, households_per_county=50, seed=5)
        generate(tmp_path / "b", counties=1, households_per_county=50, seed=6)
        assert (tmp_path / "a" / "members.csv").read_bytes() != (
            tmp_path / "b" / "members.csv"
        ).read_bytes()

    def test_without_rosters_only_the_registry_tables_are_written(self, tmp_path: Path) -> None:
        generate(tmp_path, counties=1, households_per_county=30, seed=1, rosters=False)
        written = {p.name for p in tmp_path.iterdir()}
        assert written >= {t.file_name for t in REGISTRY_TABLES}
        assert not any(name.startswith("roster_") for name in written)


class TestFormat:
    def test_every_table_parses_and_only_planted_corrupt_ids_are_problems(
        self, folder: Path, d: Data
    ) -> None:
        wrong_ids = Counter(
            p["roster"]
            for p in d.planted
            if p["kind"] == "id_invalid" and "缺失" not in p["detail"]
        )
        assert sum(wrong_ids.values()) > 0
        for table in ALL_TABLES.values():
            reader = open_table(folder, table)
            if table.name == "survey":
                assert reader is None
                continue
            assert reader is not None, table.name
            assert reader.unknown_columns == []
            problems = []
            rows = 0
            for number, raw in reader:
                rows += 1
                _, found = parse_row(reader, number, raw)
                problems += found
            assert rows > 0, table.name
            assert all(p.column == "id_number" for p in problems), problems[:3]
            assert len(problems) == wrong_ids.get(table.name, 0), table.name

    def test_values_are_written_in_canonical_form(self, folder: Path) -> None:
        from fupin.engine.values import format_value, parse_cell

        for table in REGISTRY_TABLES + ROSTER_TABLES:
            for row in read(folder, table.name)[:300]:
                for f in table.fields:
                    if f.type == "id":
                        continue
                    assert format_value(f, parse_cell(f, row[f.name])) == row[f.name], (
                        table.name,
                        f.name,
                    )

    def test_headers_are_the_english_field_names_in_format_order(self, folder: Path) -> None:
        for table in REGISTRY_TABLES + ROSTER_TABLES:
            header = (folder / table.file_name).read_text("utf-8").splitlines()[0]
            assert header == ",".join(table.field_names)


class TestRegions:
    def test_codes_have_twelve_digits_and_parents_one_level_up(self, d: Data) -> None:
        levels = "省市县乡村"
        prefix = {"省": 2, "市": 4, "县": 6, "乡": 9, "村": 12}
        for code, r in d.regions.items():
            assert len(code) == 12 and code.isdigit()
            assert code[prefix[r["level"]] :] == "0" * (12 - prefix[r["level"]])
            if r["level"] == "省":
                assert r["parent_code"] == ""
                continue
            parent = d.regions[r["parent_code"]]
            assert levels.index(parent["level"]) == levels.index(r["level"]) - 1
            assert code.startswith(r["parent_code"][: prefix[parent["level"]]])
        assert Counter(r["level"] for r in d.regions.values())["县"] == 3

    def test_the_first_county_is_a_real_one(self, d: Data) -> None:
        assert d.regions["530523000000"]["name"] == "龙陵县"
        assert d.regions["530500000000"]["name"] == "保山市"
        assert d.regions["530000000000"]["name"] == "云南省"

    def test_flags_and_populations_add_up(self, d: Data) -> None:
        children: dict[str, int] = defaultdict(int)
        for r in d.regions.values():
            if r["parent_code"]:
                children[r["parent_code"]] += int(r["population"])
            if r["level"] == "县":
                assert r["poverty_flag"] in ("国定贫困县", "省定贫困县", "非贫困县")
            elif r["level"] == "村":
                assert r["poverty_flag"] in ("贫困村", "深度贫困村", "非贫困村")
            else:
                assert r["poverty_flag"] == ""
        for code, r in d.regions.items():
            if r["level"] != "村":
                assert int(r["population"]) == children[code], r["name"]

    def test_registered_people_are_a_realistic_share_of_each_village(self, d: Data) -> None:
        people: Counter[str] = Counter()
        for m in d.members:
            people[d.households[m["household_id"]]["region_code"]] += 1
        rates = []
        for code, n in people.items():
            village = d.regions[code]
            assert village["level"] == "村"
            rates.append(n / int(village["population"]))
        assert all(0.01 <= r <= 0.31 for r in rates), rates
        assert max(rates) > 0.15 and min(rates) < 0.09


class TestHouseholdsAndMembers:
    def test_every_household_has_exactly_one_head_whose_id_is_on_the_household(
        self, d: Data
    ) -> None:
        heads: dict[str, list[dict[str, str]]] = defaultdict(list)
        for m in d.members:
            assert m["household_id"] in d.households
            if m["relation"] == "户主":
                heads[m["household_id"]].append(m)
        for hid, h in d.households.items():
            assert len(heads[hid]) == 1, hid
            assert heads[hid][0]["id_number"] == h["head_id_number"]
            assert heads[hid][0]["name"] == h["head_name"]

    def test_ids_are_valid_unique_and_agree_with_county_birth_date_and_sex(self, d: Data) -> None:
        assert len(d.by_id) == len(d.members)
        for m in d.members:
            parsed = idcard.parse(m["id_number"])
            region = d.households[m["household_id"]]["region_code"]
            assert parsed.region_prefix == region[:6]
            assert parsed.birth_date.isoformat() == m["birth_date"]
            assert parsed.sex == m["sex"]

    def test_household_sizes_are_one_to_seven_averaging_about_three_and_a_half(
        self, d: Data
    ) -> None:
        sizes = Counter(m["household_id"] for m in d.members)
        assert set(sizes) == set(d.households)
        assert min(sizes.values()) == 1 and max(sizes.values()) == 7
        assert 3.2 <= len(d.members) / len(d.households) <= 3.9

    def test_relations_are_consistent_with_sex_and_age(self, d: Data) -> None:
        by_household: dict[str, list[dict[str, str]]] = defaultdict(list)
        for m in d.members:
            by_household[m["household_id"]].append(m)
        for people in by_household.values():
            head = next(m for m in people if m["relation"] == "户主")
            for m in people:
                r = m["relation"]
                if r == "配偶":
                    assert m["sex"] != head["sex"]
                    assert d.age(m) >= 18
                if r in ("之子", "之女", "之孙子", "之孙女", "之儿媳"):
                    assert m["birth_date"] > head["birth_date"]
                    assert d.age(head) - d.age(m) >= 16 or r == "之儿媳"
                if r in ("之父", "之母"):
                    assert d.age(m) - d.age(head) >= 18
                if r in ("之子", "之孙子", "之父"):
                    assert m["sex"] == "男"
                if r in ("之女", "之孙女", "之母", "之儿媳"):
                    assert m["sex"] == "女"

    def test_school_status_fits_the_age(self, d: Data) -> None:
        allowed = {
            "学前教育": (3, 6),
            "小学": (6, 12),
            "初中": (12, 15),
            "高中": (15, 18),
            "中职": (15, 18),
        }
        for m in d.members:
            age, status = d.age(m), m["school_status"]
            assert status in SCHOOL_STATUSES
            if status in allowed:
                lo, hi = allowed[status]
                assert lo <= age <= hi, (status, age)
            if status in ("高职", "大专", "本科及以上"):
                assert 18 <= age <= 23
            if 6 <= age <= 15 and status == "非在校生":
                assert m["id_number"] in d.planted_ids["dropout"]
            if status == "学前教育" or age < 6:
                assert m["education_level"] == "学龄前" or age >= 6

    def test_statuses_are_mostly_exited_with_an_exit_year(self, d: Data) -> None:
        statuses = Counter(h["status"] for h in d.households.values())
        assert statuses["已脱贫"] > 0.6 * len(d.households)
        assert statuses["未脱贫"] > 0 and statuses["返贫"] > 0 and statuses["清退"] > 0
        for h in d.households.values():
            assert (h["exit_year"] != "") == (h["status"] == "已脱贫")
            if h["exit_year"]:
                assert int(h["identified_year"]) < int(h["exit_year"]) <= YEAR

    def test_exited_households_are_above_the_income_line(self, d: Data) -> None:
        sizes = Counter(m["household_id"] for m in d.members)
        below = 0
        for hid, h in d.households.items():
            net = (
                Decimal(h["wage_income"])
                + Decimal(h["business_income"])
                - Decimal(h["business_expense"])
                + Decimal(h["property_income"])
                + Decimal(h["transfer_income"])
            )
            per_capita = net / sizes[hid]
            if h["status"] == "已脱贫":
                assert per_capita >= 3200, hid
            elif h["status"] == "未脱贫":
                below += per_capita < 3200
        assert below > 0

    def test_exited_households_meet_the_exit_standard_unless_planted_as_wrong_exits(
        self, d: Data
    ) -> None:
        """Yunnan 2017 (seed 000 items 1-5): 两不愁三保障, relocation self funds <= 10,000 yuan and
        no housing debt, no dropout aged 6-15 (disabled children excused), every member insured,
        members 16+ not at school in the pension scheme, out-of-pocket medical costs within the
        rural disposable income (9,862 yuan), a family doctor."""
        members: dict[str, list[dict[str, str]]] = defaultdict(list)
        for m in d.members:
            members[m["household_id"]].append(m)
        failing = set()
        for hid, h in d.households.items():
            if h["status"] != "已脱贫":
                continue
            people = members[hid]
            ok = (
                h["food_secure"] == h["clothing_secure"] == h["water_safe"] == "是"
                and (h["housing_grade"] in "AB" or h["housing_renovated"] == "是")
                and (h["relocated"] == "否" or (
                    h["relocation_moved_in"] == "是"
                    and Decimal(h["relocation_self_funds"]) <= 10000
                    and Decimal(h["housing_debt"]) == 0))
                and all(m["medical_insured"] == m["critical_illness_insured"] == "是" for m in people)
                and all(d.age(m) < 16 or m["school_status"] != "非在校生" or m["pension_insured"] == "是" for m in people)
                and all(not 6 <= d.age(m) <= 15 or "残疾" in m["health"] or m["school_status"] != "非在校生" for m in people)
                and h["family_doctor"] == "是"
                and Decimal(h["medical_out_of_pocket"]) <= 9862
                and (h["water_distance_km"] == "" or Decimal(h["water_distance_km"]) <= 1)
            )  # fmt: skip
            if not ok:
                failing.add(hid)
        assert failing == {p["household_id"] for p in d.planted if p["kind"] == "wrong_exit"}
        assert failing

    def test_causes_are_distinct_and_at_most_three(self, d: Data) -> None:
        for h in d.households.values():
            others = [c for c in h["other_causes"].split(";") if c]
            assert len(others) <= 2
            assert h["main_cause"] not in others
            assert len(set(others)) == len(others)
            assert others == sorted(others, key=CAUSES.index)

    def test_dibao_and_tekun_flags_follow_the_household_attribute(self, d: Data) -> None:
        for m in d.members:
            attribute = d.households[m["household_id"]]["attribute"]
            assert (m["dibao"] == "是") == (attribute == "低保贫困户")
            assert (m["tekun"] == "是") == (attribute == "特困供养贫困户")

    def test_helpers_help_one_to_six_households_and_only_planted_ones_exceed_five(
        self, d: Data
    ) -> None:
        load = Counter(h["helper_name"] for h in d.households.values())
        assert len(load) == len(
            {(h["helper_name"], h["helper_phone"]) for h in d.households.values()}
        )
        assert max(load.values()) == 6
        assert min(load.values()) >= 1
        assert sum(1 for n in load.values() if n > 5) < 0.15 * len(load)
        over = {h["household_id"] for h in d.households.values() if load[h["helper_name"]] > 5}
        assert over == {p["household_id"] for p in d.planted if p["kind"] == "helper_over_cap"}

    def test_causes_that_name_a_condition_have_a_member_with_it(self, d: Data) -> None:
        members: dict[str, list[dict[str, str]]] = defaultdict(list)
        for m in d.members:
            members[m["household_id"]].append(m)
        in_school = {"小学", "初中", "高中", "中职", "高职", "大专", "本科及以上"}
        for hid, h in d.households.items():
            causes = {h["main_cause"], *h["other_causes"].split(";")}
            people = members[hid]
            if "因病" in causes:
                assert any(m["health"] != "健康" for m in people)
            if "因残" in causes:
                assert any("残疾" in m["health"] for m in people)
            if "因学" in causes:
                assert any(m["school_status"] in in_school for m in people)

    def test_tekun_households_have_nobody_of_working_age_able_to_work(self, d: Data) -> None:
        tekun = 0
        for m in d.members:
            if d.households[m["household_id"]]["attribute"] == "特困供养贫困户":
                tekun += 1
                assert not (
                    16 <= d.age(m) <= 65 and m["labor_ability"] in ("普通劳动力", "技能劳动力")
                )
        assert tekun > 0

    def test_business_income_comes_with_business_expense(self, d: Data) -> None:
        for h in d.households.values():
            assert (Decimal(h["business_income"]) > 0) == (Decimal(h["business_expense"]) > 0)

    def test_measures_belong_to_households_and_number_one_to_four_each(self, d: Data) -> None:
        measures = read(d.folder, "measures")
        per = Counter(m["household_id"] for m in measures)
        assert set(per) == set(d.households)
        assert min(per.values()) >= 1 and max(per.values()) <= 4
        assert len({tuple(m.values()) for m in measures}) == len(measures)

    def test_every_village_has_its_indicators(self, d: Data) -> None:
        villages = {v["region_code"] for v in read(d.folder, "villages")}
        assert villages == {c for c, r in d.regions.items() if r["level"] == "村"}


class TestPlantedErrors:
    def test_every_kind_is_planted(self, d: Data) -> None:
        kinds = Counter(p["kind"] for p in d.planted)
        expected = {
            "dropout", "uninsured_medical", "pension_gap", "dibao_not_registered",
            "dibao_flag_mismatch", "danger_house", "disabled_mismatch", "wrongly_listed",
            "id_invalid", "name_typo", "birth_transposed", "helper_over_cap", "wrong_exit",
        }  # fmt: skip
        assert set(kinds) == expected
        for p in d.planted:
            registry_only = p["kind"] in ("helper_over_cap", "wrong_exit")
            assert p["roster"].startswith("roster_") or (registry_only and p["roster"] == "")
            if p["household_id"]:
                assert (
                    d.households[p["household_id"]]["household_id"]
                    == d.by_id[p["id_number"]]["household_id"]
                )
        assert len({tuple(p.values()) for p in d.planted}) == len(d.planted)

    def test_planted_dropouts_are_out_of_school_children(self, d: Data) -> None:
        students = d.roster_ids("roster_students")
        for p in (p for p in d.planted if p["kind"] == "dropout"):
            m = d.by_id[p["id_number"]]
            assert m["household_id"] == p["household_id"]
            assert 6 <= d.age(m) <= 15
            record = students.get(p["id_number"])
            assert (record is not None and record["enrolment"] == "辍学") or (
                record is None and m["school_status"] == "非在校生"
            )

    def test_every_other_school_age_child_is_at_school_in_both_sources(self, d: Data) -> None:
        students = d.roster_ids("roster_students")
        checked = 0
        for m in d.members:
            if 6 <= d.age(m) <= 15 and m["id_number"] not in d.planted_ids["dropout"]:
                checked += 1
                assert m["school_status"] != "非在校生"
                if d.present("roster_students", m["id_number"]) and m["id_number"] not in students:
                    continue  # the record is there under a planted corrupt ID
                assert students[m["id_number"]]["enrolment"] == "在读"
        assert checked > 100
        assert {r["enrolment"] for r in students.values()} == {"在读", "辍学"}

    def test_members_missing_from_the_medical_roster_are_exactly_the_planted_ones(
        self, d: Data
    ) -> None:
        missing = {
            m["id_number"] for m in d.members if not d.present("roster_medical", m["id_number"])
        }
        assert missing == d.planted_ids["uninsured_medical"]

    def test_adults_missing_from_the_pension_roster_are_exactly_the_planted_ones(
        self, d: Data
    ) -> None:
        missing = {
            m["id_number"]
            for m in d.members
            if d.age(m) >= 16
            and m["school_status"] == "非在校生"
            and not d.present("roster_pension", m["id_number"])
        }
        assert missing == d.planted_ids["pension_gap"]
        for r in d.rosters["roster_pension"]:
            if r["id_number"] in d.by_id:
                assert (r["status"] == "领取待遇") == (d.age(d.by_id[r["id_number"]]) >= 60)

    def test_civil_roster_disagrees_with_the_registry_only_where_planted(self, d: Data) -> None:
        civil = d.rosters["roster_civil"]
        listed_heads = {r["household_head_id"] for r in civil}
        registered_heads = {h["head_id_number"]: h for h in d.households.values()}
        mismatched = set()
        for head_id, h in registered_heads.items():
            on_dibao = h["attribute"] in ("低保贫困户", "特困供养贫困户")
            if on_dibao != (head_id in listed_heads):
                mismatched.add(head_id)
        assert mismatched == d.planted_ids["dibao_flag_mismatch"]
        outsiders = {
            r["household_head_id"] for r in civil if r["household_head_id"] not in registered_heads
        }
        assert outsiders == d.planted_ids["dibao_not_registered"]
        assert all(
            p["household_id"] == "" for p in d.planted if p["kind"] == "dibao_not_registered"
        )
        for r in civil:
            h = registered_heads.get(r["household_head_id"])
            if h is not None and h["attribute"] == "特困供养贫困户":
                assert r["kind"] == "特困"

    def test_danger_houses_are_exactly_the_planted_ones(self, d: Data) -> None:
        housing = d.roster_ids("roster_housing")
        danger = set()
        for h in d.households.values():
            head = h["head_id_number"]
            if head not in housing:
                assert head in d.planted_at[("id_invalid", "roster_housing")]
                continue
            grade = housing[head]["grade"]
            if grade != h["housing_grade"]:
                assert grade in "CD" and h["housing_grade"] in "AB"
                danger.add(head)
            elif grade in "CD" and h["status"] == "已脱贫":
                danger.add(head)
        assert danger == d.planted_ids["danger_house"]

    def test_disabled_roster_disagrees_with_registry_health_only_where_planted(
        self, d: Data
    ) -> None:
        disabled = d.roster_ids("roster_disabled")
        mismatch = set()
        for m in d.members:
            listed = d.present("roster_disabled", m["id_number"])
            if listed != ("残疾" in m["health"]):
                assert listed, m
                mismatch.add(m["id_number"])
        assert mismatch == d.planted_ids["disabled_mismatch"]
        assert len(disabled) > len(mismatch)

    def test_registered_people_own_cars_firms_or_public_jobs_only_where_planted(
        self, d: Data
    ) -> None:
        found = set()
        for roster in ("roster_vehicles", "roster_business", "roster_public_employees"):
            ids = {r["id_number"] for r in d.rosters[roster]}
            assert len(ids) > len(ids & set(d.by_id))  # most owners are not registered
            mine = ids & set(d.by_id)
            assert mine == d.planted_at[("wrongly_listed", roster)]
            if roster == "roster_business":
                assert all(
                    int(r["registered_capital"]) > 100000
                    for r in d.rosters[roster]
                    if r["id_number"] in mine
                )
            if roster == "roster_vehicles":
                assert all(r["vehicle_type"] in ("小型轿车", "小型普通客车", "小型越野客车", "重型半挂牵引车", "中型普通货车")
                           for r in d.rosters[roster] if r["id_number"] in mine)  # fmt: skip
            found |= mine
        assert found == d.planted_ids["wrongly_listed"]

    def test_roster_identities_differ_from_the_registry_only_where_planted(self, d: Data) -> None:
        planted_records = {
            (p["roster"], p["id_number"], p["kind"]) for p in d.planted
            if p["kind"] in ("id_invalid", "name_typo", "birth_transposed")
        }  # fmt: skip
        seen = set()
        for roster, rows in d.rosters.items():
            for r in rows:
                true = d.by_id.get(r["id_number"])
                if r["id_number"] == "" or not idcard.is_valid(r["id_number"]):
                    # the person behind a corrupted ID: same name and birth date
                    match = [
                        m for m in d.members
                        if m["name"] == r["name"] and m["birth_date"] == r["birth_date"]
                        and (roster, m["id_number"], "id_invalid") in planted_records
                    ]  # fmt: skip
                    assert match, r
                    seen.add((roster, match[0]["id_number"], "id_invalid"))
                    continue
                if true is None:
                    continue
                if r["name"] != true["name"]:
                    assert len(r["name"]) == len(true["name"])
                    assert sum(a != b for a, b in zip(r["name"], true["name"], strict=True)) == 1
                    assert r["name"][0] == true["name"][0]
                    seen.add((roster, r["id_number"], "name_typo"))
                if r["birth_date"] != true["birth_date"]:
                    y, m, dd = true["birth_date"].split("-")
                    assert r["birth_date"] == f"{y}-{dd}-{m}"
                    seen.add((roster, r["id_number"], "birth_transposed"))
                assert r["sex"] == true["sex"]
        assert seen == planted_records


class TestWorkbook:
    def test_the_same_seed_writes_the_same_workbook_bytes(self, tmp_path: Path) -> None:
        a = generate(tmp_path / "a.xlsx", counties=1, households_per_county=15, seed=2, fmt="xlsx")
        b = generate(
            tmp_path / "b" / "b.xlsx", counties=1, households_per_county=15, seed=2, fmt="xlsx"
        )
        assert a.out.read_bytes() == b.out.read_bytes()

    def test_xlsx_holds_the_same_rows_as_csv_one_sheet_per_table(self, tmp_path: Path) -> None:
        generate(tmp_path / "csv", counties=1, households_per_county=40, seed=9)
        summary = generate(tmp_path / "x", counties=1, households_per_county=40, seed=9, fmt="xlsx")
        book = summary.out
        assert book.suffix == ".xlsx" and (tmp_path / "x" / "planted.csv").exists()
        for table in REGISTRY_TABLES + ROSTER_TABLES:
            reader = open_table(book, table)
            assert reader is not None, table.name
            from_book = [raw for _, raw in reader]
            from_csv = [
                {k: v for k, v in row.items() if v != ""}
                for row in read(tmp_path / "csv", table.name)
            ]
            assert [{k: v for k, v in row.items() if v != ""} for row in from_book] == from_csv


class TestOptions:
    def test_another_year_and_province_move_the_whole_data_set(self, tmp_path: Path) -> None:
        generate(tmp_path, counties=2, households_per_county=60, seed=3, province="52", year=2017)
        regions = read(tmp_path, "regions")
        assert regions[0]["name"] == "贵州省" and regions[0]["code"] == "520000000000"
        assert all(r["code"].startswith("52") for r in regions)
        for m in read(tmp_path, "members"):
            assert m["id_number"].startswith("52") and m["birth_date"] <= "2017-12-31"
        assert {h["exit_year"] for h in read(tmp_path, "households")} <= {
            "",
            "2015",
            "2016",
            "2017",
        }
        assert {r["year"] for r in read(tmp_path, "roster_medical")} == {"2017"}

    def test_unknown_provinces_and_empty_counties_are_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="省级行政区划代码"):
            generate(tmp_path, counties=1, households_per_county=10, province="99")
        with pytest.raises(ValueError):
            generate(tmp_path, counties=0, households_per_county=10)
        with pytest.raises(ValueError, match="CSV"):
            generate(tmp_path, counties=2, households_per_county=100_000, fmt="xlsx")

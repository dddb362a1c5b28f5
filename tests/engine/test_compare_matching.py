"""Matching roster rows to registry members: exact on the ID, then probabilistic on name
(characters, pinyin, one-character edits), birth date (also with month and day transposed),
sex, ID fragments and address."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import duckdb

from fupin.engine import idcard
from fupin.engine.comparison.matching import (
    MatchSettings,
    MatchStats,
    match_roster,
    pinyin_of,
    prepare_registry,
)
from fupin.engine.comparison.rosters import import_rosters, load_rosters
from fupin.engine.dataset import open_dataset
from tests.comparison.builder import VILLAGE_B, County, person_id

AS_OF = dt.date(2017, 12, 31)


def corrupt(number: str) -> str:
    """The same ID with its check character mistyped."""
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def run(
    tmp_path: Path, county: County, settings: MatchSettings | None = None
) -> tuple[duckdb.DuckDBPyConnection, MatchStats]:
    registry, rosters = county.write(tmp_path)
    con = open_dataset(registry)
    load_rosters(con, import_rosters(rosters))
    prepare_registry(con, AS_OF)
    return con, match_roster(con, "roster_medical", settings)


def another_digit(number: str, position: int) -> str:
    """The first 17 characters of `number` with the digit at `position` (0-based) changed."""
    return number[:position] + str((int(number[position]) + 1) % 10) + number[position + 1 : 17]


def matches(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Roster name -> the match (registry ID, method, probability)."""
    rows = con.execute(
        """SELECT r.name, m.id_number, x.method, x.match_probability
           FROM match_roster_medical x JOIN roster_medical r USING (row_number)
           JOIN cmp_members m USING (member_key)"""
    ).fetchall()
    return {n: {"id": i, "method": k, "p": p} for n, i, k, p in rows}


def medical(county: County, **row: str) -> None:
    county.roster("roster_medical", year="2017", basic="是", **row)


class TestMatching:
    def test_names_sound_alike_in_pinyin(self) -> None:
        assert pinyin_of("王丽") == pinyin_of("王莉") == "wang li"

    def test_an_id_matches_exactly_with_probability_one(self, tmp_path: Path) -> None:
        c = County()
        c.household("H1")
        me = c.member("H1", "王丽", "1980-07-21", sex="女")
        medical(c, id_number=me.lower(), name="王丽")
        con, stats = run(tmp_path, c)
        assert matches(con)["王丽"] == {"id": me, "method": "exact", "p": 1.0}
        assert (stats.exact, stats.probabilistic) == (1, 0)

    def test_missing_or_corrupted_ids_are_matched_on_name_birth_sex_and_address(
        self, tmp_path: Path
    ) -> None:
        c = County()
        c.household("H1")
        wang = c.member("H1", "王丽", "1980-07-21", sex="女")
        c.household("H2", village=VILLAGE_B)
        zhang = c.member("H2", "张小明", "1990-03-11")
        li = c.member("H2", "李四", "1960-01-05", relation="之父")
        zhao = c.member("H2", "赵建华", "1962-02-15", relation="之母", sex="女")
        # a homophone and no ID
        medical(c, name="王莉", birth_date="1980-07-21", sex="女", address="龙陵县龙山镇新寨村")
        # one character edited and a mistyped check character
        medical(c, id_number=corrupt(zhang), name="张晓明")
        # month and day transposed, no ID
        medical(c, name="李四", birth_date="1960-05-01", sex="男", address="龙陵县龙山镇大坪村")
        # two digits of the ID transposed
        medical(c, id_number=zhao[:4] + zhao[5] + zhao[4] + zhao[6:], name="赵建华")
        con, stats = run(tmp_path, c)
        found = matches(con)
        assert {n: m["id"] for n, m in found.items()} == {
            "王莉": wang,
            "张晓明": zhang,
            "李四": li,
            "赵建华": zhao,
        }
        assert all(m["method"] == "probabilistic" and m["p"] >= 0.9 for m in found.values())
        assert stats.probabilistic == 4 and stats.invalid_ids == 4

    def test_a_different_person_with_the_same_name_is_not_matched(self, tmp_path: Path) -> None:
        c = County()
        c.household("H1")
        c.member("H1", "王伟", "1980-07-21")
        medical(c, id_number=person_id("1992-11-02", 333), name="王伟", address="昆明市")
        medical(c, name="王伟", birth_date="1975-02-09", sex="男")
        con, stats = run(tmp_path, c)
        assert matches(con) == {}
        assert stats.matched == 0

    def test_a_valid_id_one_digit_off_belongs_to_another_person(self, tmp_path: Path) -> None:
        # GB 11643's MOD 11-2 check character catches every single mistyped digit, so a roster
        # ID that passes the check and differs from the registered one is somebody else's,
        # however alike name, birth date, sex and village are
        c = County()
        c.household("H1")
        me = c.member("H1", "王伟", "1980-07-21")
        body = another_digit(me, 15)  # same birth date, same sex digit
        other = body + idcard.check_character(body)
        assert idcard.is_valid(other) and other != me
        medical(
            c,
            id_number=other,
            name="王伟",
            birth_date="1980-07-21",
            sex="男",
            address="龙陵县龙山镇新寨村",
        )
        con, stats = run(tmp_path, c)
        assert matches(con) == {}
        assert stats.matched == 0
        # nor is the pair offered for review: it is not a possible typo
        assert con.execute("SELECT COUNT(*) FROM review_roster_medical").fetchall() == [(0,)]

    def test_the_same_person_with_one_digit_mistyped_is_matched(self, tmp_path: Path) -> None:
        c = County()
        c.household("H1")
        me = c.member("H1", "王伟", "1980-07-21")
        typo = another_digit(me, 15) + me[17]  # the registered check character no longer fits
        assert not idcard.is_valid(typo)
        medical(
            c,
            id_number=typo,
            name="王伟",
            birth_date="1980-07-21",
            sex="男",
            address="龙陵县龙山镇新寨村",
        )
        con, stats = run(tmp_path, c)
        [(name, found)] = matches(con).items()
        assert (name, found["id"], found["method"]) == ("王伟", me, "probabilistic")
        assert found["p"] >= MatchSettings().threshold

    def test_a_member_whose_registered_id_is_mistyped_is_found_by_the_valid_roster_id(
        self, tmp_path: Path
    ) -> None:
        c = County()
        c.household("H1")
        right = person_id("1975-03-08", 215)
        typo = another_digit(right, 14) + right[17]
        assert not idcard.is_valid(typo)
        c.member("H1", "李芳", "1975-03-08", sex="女", id_number=typo)
        medical(c, id_number=right, name="李芳")
        con, stats = run(tmp_path, c)
        assert {n: m["id"] for n, m in matches(con).items()} == {"李芳": typo}
        assert stats.probabilistic == 1

    def test_a_pair_below_the_threshold_goes_to_review_instead(self, tmp_path: Path) -> None:
        c = County()
        c.household("H1")
        c.member("H1", "王丽", "1980-07-21", sex="女")
        medical(c, name="王莉", birth_date="1980-07-21", sex="女")
        settings = MatchSettings(threshold=0.999999999, review_low=0.5)
        con, stats = run(tmp_path, c, settings)
        assert matches(con) == {}
        review = con.execute("SELECT match_probability FROM review_roster_medical").fetchall()
        assert len(review) == 1 and 0.5 <= review[0][0] < 0.999999999
        assert stats.review == 1

    def test_two_equally_likely_people_go_to_review(self, tmp_path: Path) -> None:
        c = County()
        c.household("H1")
        c.member("H1", "刘洋", "1985-06-06")
        c.household("H2")
        c.member("H2", "刘洋", "1985-06-06")
        medical(c, name="刘洋", birth_date="1985-06-06", sex="男")
        con, stats = run(tmp_path, c)
        assert matches(con) == {}
        assert stats.review == 2

    def test_the_exact_stage_alone_leaves_fuzzy_rows_unmatched(self, tmp_path: Path) -> None:
        c = County()
        c.household("H1")
        c.member("H1", "王丽", "1980-07-21", sex="女")
        medical(c, name="王丽", birth_date="1980-07-21", sex="女")
        con, stats = run(tmp_path, c, MatchSettings(probabilistic=False))
        assert matches(con) == {} and stats.matched == 0

    def test_blocking_keeps_candidate_pairs_near_linear(self, tmp_path: Path) -> None:
        surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
        given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅玉林"
        for n in (300, 1200):
            rng = random.Random(n)
            c = County()
            for i in range(n):
                c.household(f"H{i}")
                name = rng.choice(surnames) + rng.choice(given) + rng.choice(given)
                born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(60 * 365))
                sex = rng.choice("男女")
                c.member(f"H{i}", name, born.isoformat(), sex=sex)
                # the roster knows the same person without an ID
                medical(c, name=name, birth_date=born.isoformat(), sex=sex)
            _, stats = run(tmp_path / str(n), c, MatchSettings(count_pairs=True))
            # every row meets its own record and hardly anybody else, at either size
            assert n <= stats.candidate_pairs < 1.1 * n
            assert stats.probabilistic >= 0.97 * n

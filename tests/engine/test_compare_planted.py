"""Recall on the errors the demo generator plants in a county's rosters (planted.csv)."""

from __future__ import annotations

import csv

import pytest

from fupin.engine.comparison.rosters import import_rosters, load_rosters
from fupin.engine.comparison.rules import FINDING_IDS, load_rules
from fupin.engine.comparison.run import ComparisonResult, compare
from fupin.engine.dataset import open_dataset
from fupin.engine.generate import generate, reference_date

YEAR = 2017
HOUSEHOLD_FINDINGS = ("dibao_flag_mismatch", "danger_house")


@pytest.fixture(scope="module")
def county(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[ComparisonResult, list[dict[str, str]]]:
    folder = tmp_path_factory.mktemp("planted") / "data"
    generate(folder, counties=1, households_per_county=400, seed=11, year=YEAR)
    with (folder / "planted.csv").open(encoding="utf-8-sig") as handle:
        planted = list(csv.DictReader(handle))
    con = open_dataset(folder)
    rosters = import_rosters(folder)
    assert rosters.ok, rosters.problems[:3]
    load_rosters(con, rosters)
    result = compare(con, as_of=reference_date(YEAR), rules=load_rules("compare-yunnan-2017"))
    return result, planted


def key(kind: str, household_id: str, id_number: str) -> tuple[str, str]:
    return (kind, household_id if kind in HOUSEHOLD_FINDINGS else id_number)


class TestPlantedRecall:
    @pytest.mark.parametrize(
        "kind", ["dropout", "uninsured_medical", "danger_house", "wrongly_listed"]
    )
    def test_every_planted_error_of_this_kind_is_found(
        self, county: tuple[ComparisonResult, list[dict[str, str]]], kind: str
    ) -> None:
        result, planted = county
        wanted = {
            key(p["kind"], p["household_id"], p["id_number"]) for p in planted if p["kind"] == kind
        }
        assert wanted, f"the generator planted no {kind}"
        found = {
            key(r["finding_id"], r["household_id"], r["id_number"])
            for r in result.findings.to_pylist()
        }
        assert wanted - found == set()

    def test_nothing_unplanted_is_reported_as_an_exact_match(
        self, county: tuple[ComparisonResult, list[dict[str, str]]]
    ) -> None:
        result, planted = county
        truth = {key(p["kind"], p["household_id"], p["id_number"]) for p in planted}
        exact = [
            r
            for r in result.findings.to_pylist()
            if r["finding_id"] in FINDING_IDS and r["match_method"] == "exact"
        ]
        assert exact
        unplanted = [
            r for r in exact if key(r["finding_id"], r["household_id"], r["id_number"]) not in truth
        ]
        assert unplanted == []

    def test_roster_rows_with_bad_ids_point_to_the_planted_person(
        self, county: tuple[ComparisonResult, list[dict[str, str]]]
    ) -> None:
        result, planted = county
        wanted = [p for p in planted if p["kind"] == "id_invalid"]
        details = [
            (r["roster"], r["detail"])
            for r in result.findings.to_pylist()
            if r["finding_id"] == "id_invalid"
        ]
        for p in wanted:
            assert any(roster == p["roster"] and p["id_number"] in d for roster, d in details), p

    def test_every_roster_is_matched_and_the_rates_are_reported(
        self, county: tuple[ComparisonResult, list[dict[str, str]]]
    ) -> None:
        result, _ = county
        summary = result.summary()
        assert set(summary["rosters"]) >= {"roster_medical", "roster_students", "roster_civil"}
        assert summary["rosters"]["roster_medical"]["match_rate"] > 0.5
        assert summary["skipped"] == []

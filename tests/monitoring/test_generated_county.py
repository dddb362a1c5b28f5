"""On a generated county (fupin.engine.generate), three planted changes since the baseline: an
income drop, a new serious illness and a disaster that made a house dangerous. The rules,
compared with the baseline, raise exactly those three households with those risk types."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fupin.engine.dataset import open_dataset
from fupin.engine.generate import generate
from fupin.engine.monitoring.policy import load_monitoring_policy
from fupin.engine.monitoring.scan import scan

AS_OF = dt.date(2018, 6, 1)


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """(baseline folder, current folder, {household: risk type})."""
    root = tmp_path_factory.mktemp("generated")
    baseline = root / "baseline"
    generate(baseline, counties=1, households_per_county=300, seed=7, rosters=False)
    policy = load_monitoring_policy()
    raised = {h.household_id for h in scan(open_dataset(baseline), policy, as_of=AS_OF)}
    current = root / "current"
    shutil.copytree(baseline, current)
    h_header, households = read(current / "households.csv")
    m_header, members = read(current / "members.csv")
    size: dict[str, int] = {}
    for m in members:
        size[m["household_id"]] = size.get(m["household_id"], 0) + 1
    quiet = [
        h
        for h in households
        if h["status"] == "已脱贫"
        and h["household_id"] not in raised
        and size.get(h["household_id"])
    ]
    assert len(quiet) >= 3, "the generated county has too few exited households without risk"
    drop, ill, disaster = quiet[0], quiet[1], quiet[2]
    # income drop: wages fall so that the per-capita income is 1.2 × the line
    line = float(policy.number("income_line"))
    drop.update(
        wage_income=f"{1.2 * line * size[drop['household_id']]:.2f}",
        business_income="0",
        business_expense="0",
        property_income="0",
        transfer_income="0",
        medical_out_of_pocket="0",
        education_burden="0",
    )
    # new serious illness of one member
    sick = next(m for m in members if m["household_id"] == ill["household_id"])
    sick["health"] = "患有大病"
    # disaster: the house is now dangerous and not rebuilt
    disaster.update(housing_grade="D", housing_renovated="否")
    write(current / "households.csv", h_header, households)
    write(current / "members.csv", m_header, members)
    expected = {
        drop["household_id"]: "收入下降",
        ill["household_id"]: "大病",
        disaster["household_id"]: "灾害",
    }
    return baseline, current, expected


class TestGeneratedCounty:
    def test_the_rules_raise_exactly_the_households_with_a_planted_change(self, planted):
        baseline, current, expected = planted
        hits = scan(
            open_dataset(current),
            load_monitoring_policy(),
            as_of=AS_OF,
            baseline=open_dataset(baseline),
        )
        assert {(h.household_id, h.risk_type) for h in hits} == set(expected.items())

    def test_without_the_baseline_the_standing_risks_are_raised_too(self, planted):
        baseline, current, expected = planted
        hits = scan(open_dataset(current), load_monitoring_policy(), as_of=AS_OF)
        assert set(expected) < {h.household_id for h in hits}

    def test_the_command_line_scan_with_a_baseline_agrees(self, planted, tmp_path):
        baseline, current, expected = planted
        done = subprocess.run(
            [sys.executable, "-m", "fupin", "monitor", "scan", "--data", str(current)]
            + ["--baseline", str(baseline), "--as-of", AS_OF.isoformat()],
            capture_output=True,
            text=True,
            env=dict(os.environ, FUPIN_HOME=str(tmp_path)),
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        lines = [line.split("\t") for line in done.stdout.splitlines()]
        assert {(parts[0], parts[2]) for parts in lines} == set(expected.items())

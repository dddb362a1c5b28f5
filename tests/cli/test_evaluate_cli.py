"""`fupin evaluate` run as a real subprocess on hand-made data sets and a snapshot."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from fupin.engine.dataset import arrow_schema
from fupin.engine.standard_format import HOUSEHOLDS, MEASURES, MEMBERS
from tests.engine.exit_data import household, member, region, village, write_dataset


def fupin(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FUPIN_HOME=str(tmp_path / "home"))
    return subprocess.run(
        [sys.executable, "-m", "fupin", *args], capture_output=True, text=True, env=env, timeout=120
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def two_households(tmp_path: Path) -> Path:
    return write_dataset(
        tmp_path / "data",
        [
            household("H1", status="已脱贫", wage_income="2950"),
            household("H2", status="未脱贫", wage_income="9000", food_secure=""),
        ],
        [member("H1"), member("H2")],
        villages=[village()],
        regions=[region(population="100")],
    )


class TestEvaluateCommand:
    def test_the_closing_line_writes_counts_with_separators(self, tmp_path: Path) -> None:
        hh = [household(f"H{n:04d}") for n in range(1000)]
        data = write_dataset(tmp_path / "data", hh, [member(h["household_id"]) for h in hh])
        done = fupin(
            tmp_path, "evaluate", "--policy", "yunnan-2017", "--data", str(data),
            "--as-of", "2017-12-31", "--out", str(tmp_path / "out"),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "：1,000户，达标1,000户，未达标0户，数据不全0户；疑似错退0户" in done.stdout

    def test_it_writes_the_three_result_files(self, tmp_path: Path) -> None:
        out = tmp_path / "out"
        done = fupin(
            tmp_path, "evaluate", "--policy", "yunnan-2017", "--data", str(two_households(tmp_path)),
            "--as-of", "2017-12-31", "--out", str(out),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "：2户，达标0户，未达标1户，数据不全1户；疑似错退1户；1个村" in done.stdout

        households = read_csv(out / "household_exit.csv")
        assert list(households[0]) == [
            "household_id", "region_code", "status", "per_capita_net_income", "passed",
            "failed_criteria", "unknown_criteria", "gaps",
        ]  # fmt: skip
        h1, h2 = households
        assert (h1["household_id"], h1["passed"], h1["failed_criteria"]) == ("H1", "否", "income")
        assert h1["per_capita_net_income"] == "2950.00"
        assert h1["gaps"] == "人均纯收入2,950元，低于标准3,200元"
        assert (h2["passed"], h2["failed_criteria"], h2["unknown_criteria"]) == ("否", "", "food")

        villages = read_csv(out / "village_exit.csv")
        assert villages == [
            {
                "region_code": "530102001001",
                "incidence": "1.00",
                "passed": "是",
                "failed_criteria": "",
            }
        ]

        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["households"]["by_verdict"] == {"达标": 0, "未达标": 1, "数据不全": 1}
        assert summary["households"]["by_status"] == {"已脱贫": 1, "未脱贫": 1}
        assert summary["possible_wrong_exits"]["count"] == 1
        assert summary["possible_wrong_exits"]["households"][0]["household_id"] == "H1"
        levels = {row["level"]: row for row in summary["incidence"]}
        assert set(levels) == {"省", "市", "县", "乡", "村"}
        assert levels["村"]["incidence"] == 1.0

    def test_it_evaluates_a_snapshot_by_id(self, tmp_path: Path) -> None:
        snapshot = tmp_path / "home" / "snapshots" / "s1"
        snapshot.mkdir(parents=True)
        hh = {f.name: None for f in HOUSEHOLDS.fields}
        hh.update(
            household_id="S1", region_code="530102001001", status="未脱贫", food_secure=True,
            clothing_secure=True, water_safe=True, housing_grade="A", relocated=False,
            family_doctor=True, wage_income=Decimal("4000.00"), main_cause="因病",
        )  # fmt: skip
        mm = {f.name: None for f in MEMBERS.fields}
        mm.update(
            household_id="S1", id_number="X1", birth_date=dt.date(1980, 1, 1),
            school_status="非在校生", medical_insured=True, critical_illness_insured=True,
            pension_insured=True,
        )  # fmt: skip
        ms = {f.name: None for f in MEASURES.fields}
        ms.update(household_id="S1", year=2017, kind="产业扶持")
        for table, row in ((HOUSEHOLDS, hh), (MEMBERS, mm), (MEASURES, ms)):
            data = pa.Table.from_pylist([row], schema=arrow_schema(table))
            pq.write_table(data, snapshot / f"{table.name}.parquet")
        (snapshot / "manifest.json").write_text("{}", encoding="utf-8")
        out = tmp_path / "out"
        done = fupin(
            tmp_path, "evaluate", "--policy", "yunnan-2017", "--snapshot", "s1",
            "--as-of", "2017-12-31", "--out", str(out),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        [row] = read_csv(out / "household_exit.csv")
        assert (row["household_id"], row["passed"], row["per_capita_net_income"]) == (
            "S1",
            "是",
            "4000.00",
        )
        assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["source"] == "快照 s1"

    def test_an_unknown_policy_is_refused_in_chinese(self, tmp_path: Path) -> None:
        done = fupin(
            tmp_path, "evaluate", "--policy", "guangxi-2099", "--data", str(two_households(tmp_path)),
            "--as-of", "2017-12-31", "--out", str(tmp_path / "out"),
        )  # fmt: skip
        assert done.returncode != 0
        assert "找不到策略“guangxi-2099”" in done.stderr
        assert not (tmp_path / "out").exists()

    def test_a_policy_with_an_injected_statement_is_refused_before_reading_data(
        self, tmp_path: Path
    ) -> None:
        bad = tmp_path / "evil-1.yaml"
        bad.write_text(
            "id: evil-1\nname: 恶意\ncriteria:\n  household:\n    - id: income\n      name: 收入\n"
            "      dimension: 收入\n      expression: 'wage_income > 0; DROP TABLE households'\n"
            "      source: {seed: x.txt, item: '1'}\n",
            encoding="utf-8",
        )
        done = fupin(
            tmp_path, "evaluate", "--policy", str(bad), "--data", str(two_households(tmp_path)),
            "--as-of", "2017-12-31", "--out", str(tmp_path / "out"),
        )  # fmt: skip
        assert done.returncode != 0
        assert (
            "evil-1.yaml" in done.stderr and "income" in done.stderr and "多条语句" in done.stderr
        )

    def test_data_and_snapshot_are_mutually_exclusive(self, tmp_path: Path) -> None:
        done = fupin(
            tmp_path, "evaluate", "--policy", "yunnan-2017", "--as-of", "2017-12-31",
            "--out", str(tmp_path / "out"),
        )  # fmt: skip
        assert done.returncode != 0
        assert "--data 或 --snapshot" in done.stderr

    def test_a_bad_as_of_date_is_refused(self, tmp_path: Path) -> None:
        done = fupin(
            tmp_path, "evaluate", "--policy", "yunnan-2017", "--data", str(two_households(tmp_path)),
            "--as-of", "2017-13-01", "--out", str(tmp_path / "out"),
        )  # fmt: skip
        assert done.returncode != 0
        assert "YYYY-MM-DD" in done.stderr

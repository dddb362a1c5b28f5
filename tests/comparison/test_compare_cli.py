"""`fupin compare` run as users run it: a real subprocess on real files."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from fupin.engine.comparison.run import FINDING_COLUMNS
from tests.comparison.builder import small_county


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FUPIN_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-m", "fupin", "compare", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


class TestCompareCommand:
    def test_it_writes_findings_and_summary(self, tmp_path: Path) -> None:
        registry, rosters = small_county().write(tmp_path)
        out = tmp_path / "out"
        done = run(
            tmp_path, "--data", str(registry), "--rosters", str(rosters), "--as-of", "2017-12-31",
            "--out", str(out), "--store",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        with (out / "findings.csv").open(encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        assert tuple(rows[0]) == FINDING_COLUMNS
        uninsured = [r for r in rows if r["finding_id"] == "uninsured_medical"]
        assert sorted(r["name"] for r in uninsured) == ["李四", "王丽"]
        assert all(r["detail"].startswith("医保参保名单中无此人") for r in uninsured)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["by_finding"]["uninsured_medical"] == 2
        assert summary["rosters"]["roster_medical"]["match_rate"] == 1.0
        assert "530523100001" in summary["by_region"]
        assert "未检查" in done.stderr  # the rosters not given are named
        assert "已保存比对结果" in done.stdout

    def test_a_roster_with_a_bad_value_stops_the_comparison(self, tmp_path: Path) -> None:
        county = small_county()
        county.rosters["roster_medical"][0]["basic"] = "也许"
        registry, rosters = county.write(tmp_path)
        out = tmp_path / "out"
        done = run(
            tmp_path, "--data", str(registry), "--rosters", str(rosters), "--as-of", "2017-12-31",
            "--out", str(out),
        )  # fmt: skip
        assert done.returncode != 0
        assert "roster_medical.csv 第2行" in done.stderr and "未进行比对" in done.stderr
        assert (out / "problems.csv").is_file() and not (out / "findings.csv").exists()

    def test_it_needs_exactly_one_of_data_and_snapshot(self, tmp_path: Path) -> None:
        _, rosters = small_county().write(tmp_path)
        done = run(tmp_path, "--rosters", str(rosters), "--as-of", "2017-12-31", "--out", "x")
        assert done.returncode != 0 and "--data 或 --snapshot" in done.stderr

    def test_it_reads_the_registry_from_a_snapshot(self, tmp_path: Path) -> None:
        from fupin.engine.dataset import open_dataset

        registry, rosters = small_county().write(tmp_path)
        snapshot = tmp_path / "home" / "snapshots" / "20171231-001"
        snapshot.mkdir(parents=True)
        con = open_dataset(registry)
        for table in ("regions", "households", "members"):
            con.execute(f"COPY {table} TO '{snapshot / (table + '.parquet')}' (FORMAT parquet)")
        (snapshot / "manifest.json").write_text('{"as_of": "2017-12-31"}', encoding="utf-8")
        out = tmp_path / "out"
        done = run(
            tmp_path, "--snapshot", "20171231-001", "--rosters", str(rosters),
            "--as-of", "2017-12-31", "--out", str(out), "--exact-only",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["registry"] == {"members": 4, "households": 2}
        assert summary["by_finding"]["uninsured_medical"] == 2

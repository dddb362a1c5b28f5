"""`fupin monitor`: the rules, stability and 返贫率 from the command line, as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.monitoring import county
from tests.registry import dataset


def run(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FUPIN_HOME=str(tmp_path / "home"))
    return subprocess.run(
        [sys.executable, "-m", "fupin", "monitor", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


class TestMonitorCommand:
    def test_scan_lists_exactly_the_planted_households_with_their_risk_types(self, tmp_path):
        folder = county.write(tmp_path / "c")
        done = run(tmp_path, "scan", "--data", str(folder), "--as-of", "2018-06-01", "--json")
        assert done.returncode == 0, done.stderr
        hits = json.loads(done.stdout)
        assert {(h["household_id"], h["risk_type"]) for h in hits} == set(county.PLANTED.items())

    def test_rate_prints_the_return_to_poverty_rate_in_households(self, tmp_path):
        data = county.rows()
        for h in data["households"]:
            if h["household_id"] == "S0003":
                h.update(status="返贫", exit_year="")
        folder = dataset.write(tmp_path / "c", data)
        done = run(tmp_path, "rate", "--data", str(folder), "--region", county.COUNTY, "--json")
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert (out["unit"], out["returned"], out["ever_exited"]) == ("户", 1, 27)

    def test_stability_lists_the_least_stable_household_first(self, tmp_path):
        folder = county.write(tmp_path / "c")
        done = run(tmp_path, "stability", "--data", str(folder), "--as-of", "2018-06-01")
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[0].startswith(county.DROP)

    def test_a_missing_data_set_is_a_clear_error(self, tmp_path):
        done = run(tmp_path, "scan", "--data", str(tmp_path / "nope"))
        assert done.returncode != 0
        assert "数据不存在" in done.stderr

    def test_scan_of_the_registry_opens_cases_for_the_planted_households(self, tmp_path):
        folder = county.write(tmp_path / "c")
        env = dict(os.environ, FUPIN_HOME=str(tmp_path / "home"))
        imported = subprocess.run(
            [sys.executable, "-m", "fupin", "import", str(folder), "--quiet"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert imported.returncode == 0, imported.stderr
        first = run(tmp_path, "scan", "--registry", "--region", county.COUNTY)
        assert first.returncode == 0, first.stderr
        assert "新增监测对象3户" in first.stdout
        again = run(tmp_path, "scan", "--registry", "--region", county.COUNTY)
        assert "新增监测对象0户" in again.stdout and "跳过3条" in again.stdout

"""The registry commands as a user runs them: real subprocesses on a fresh FUPIN_HOME."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fupin.engine.generate import generate
from tests.registry import dataset


def fupin(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FUPIN_DATABASE_URL"}
    env["FUPIN_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "fupin", *args], env=env, capture_output=True, text=True, timeout=300
    )


def table_rows(folder: Path, name: str) -> list[tuple[str, ...]]:
    with (folder / f"{name}.csv").open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        order = sorted(range(len(header)), key=lambda i: header[i])
        return sorted(tuple(row[i] for i in order) for row in reader)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(out, counties=2, households_per_county=300, seed=7, rosters=False)
    return out


@pytest.fixture(scope="module")
def home(tmp_path_factory, generated) -> Path:
    """A fresh FUPIN_HOME into which the generated data set has been imported once."""
    home = tmp_path_factory.mktemp("home")
    result = fupin(home, "import", str(generated))
    assert result.returncode == 0, result.stderr
    home.joinpath("first-import.txt").write_text(result.stdout, "utf-8")
    return home


class TestRegistryCommands:
    def test_import_on_a_fresh_machine_creates_the_database_and_reports_counts(self, home):
        assert (home / "fupin.sqlite3").exists()
        stdout = (home / "first-import.txt").read_text("utf-8")
        lines = dict(line.split("\t", 1) for line in stdout.splitlines() if "\t" in line)
        assert lines["households"].split("\t")[0] == "600"

    def test_a_generated_data_set_round_trips_through_import_and_export(
        self, tmp_path, home, generated
    ):
        again = fupin(home, "import", str(generated))
        assert "households\t0\t0\t600\t0\t0" in again.stdout
        assert fupin(home, "export", str(tmp_path / "out")).returncode == 0
        for name in ("regions", "households", "members", "measures", "villages"):
            assert table_rows(tmp_path / "out", name) == table_rows(generated, name), name

    def test_a_bad_file_is_refused_in_chinese_and_nothing_is_written(self, tmp_path):
        data = dataset.rows()
        data["members"][0]["id_number"] = data["members"][0]["id_number"][:17] + "0"
        bad = dataset.write(tmp_path / "bad", data)
        result = fupin(tmp_path / "home", "import", str(bad))
        assert result.returncode == 1
        assert "members.csv 第2行 “id_number”列" in result.stderr
        assert "未导入任何数据" in result.stderr
        export = fupin(tmp_path / "home", "export", str(tmp_path / "out"))
        assert export.returncode == 0
        assert table_rows(tmp_path / "out", "members") == []

    def test_keep_valid_writes_a_rejects_folder(self, tmp_path):
        data = dataset.rows()
        data["members"][2]["sex"] = "未知"
        bad = dataset.write(tmp_path / "bad", data)
        result = fupin(tmp_path / "home", "import", "--keep-valid", str(bad))
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "bad-rejects" / "members.csv").exists()
        assert "members\t5\t0\t0\t1\t0" in result.stdout

    def test_freeze_writes_a_snapshot_that_snapshots_lists(self, home):
        frozen = fupin(home, "freeze", "--as-of", "2030-01-01")
        assert frozen.returncode == 0, frozen.stderr
        snapshot_id = frozen.stdout.strip()
        listing = fupin(home, "snapshots")
        assert f"{snapshot_id}\t2030-01-01" in listing.stdout
        assert "\t600\t" in listing.stdout

    def test_a_bad_date_is_refused(self, tmp_path):
        result = fupin(tmp_path / "home", "freeze", "--as-of", "2017-02-30")
        assert result.returncode == 2
        assert "日期应为 YYYY-MM-DD" in result.stderr

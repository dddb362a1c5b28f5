"""`fupin generate` run as users run it: a real subprocess."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FUPIN_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-m", "fupin", "generate", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


class TestGenerateCommand:
    def test_it_writes_the_data_set_and_reports_what_it_wrote(self, tmp_path: Path) -> None:
        out = tmp_path / "data"
        done = run(
            tmp_path,
            "--out",
            str(out),
            "--counties",
            "2",
            "--households-per-county",
            "60",
            "--seed",
            "3",
        )
        assert done.returncode == 0, done.stderr
        assert "贫困户（households）：120 行" in done.stdout
        assert "planted.csv" in done.stdout
        with (out / "households.csv").open(encoding="utf-8") as f:
            assert len(list(csv.DictReader(f))) == 120
        assert (out / "roster_medical.csv").exists()
        assert done.stderr == ""  # no progress bar when stderr is not a terminal

    def test_quiet_prints_nothing_and_no_rosters_skips_the_department_files(
        self, tmp_path: Path
    ) -> None:
        out = tmp_path / "data"
        done = run(
            tmp_path, "--out", str(out), "--households-per-county", "20", "--no-rosters", "--quiet",
            "--province", "36",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""
        assert not list(out.glob("roster_*.csv"))
        regions = (out / "regions.csv").read_text("utf-8")
        assert "江西省" in regions and "赣州市" in regions

    def test_xlsx_format_writes_one_workbook(self, tmp_path: Path) -> None:
        book = tmp_path / "demo.xlsx"
        done = run(
            tmp_path, "--out", str(book), "--households-per-county", "20", "--format", "xlsx", "-q"
        )
        assert done.returncode == 0, done.stderr
        assert book.exists() and (tmp_path / "planted.csv").exists()
        assert not (tmp_path / "members.csv").exists()

    def test_an_unknown_province_is_refused_in_chinese(self, tmp_path: Path) -> None:
        done = run(tmp_path, "--out", str(tmp_path / "x"), "--province", "99")
        assert done.returncode != 0
        assert "不是有效的省级行政区划代码" in done.stderr


class TestProgressBar:
    def test_a_terminal_sees_a_progress_bar_in_households(self, tmp_path: Path) -> None:
        import fcntl
        import pty
        import struct
        import termios

        leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        env = {**os.environ, "FUPIN_HOME": str(tmp_path / "home")}
        args = ["--out", str(tmp_path / "d"), "--counties", "2", "--households-per-county", "50"]
        process = subprocess.Popen(
            [sys.executable, "-m", "fupin", "generate", *args],
            stdout=subprocess.DEVNULL,
            stderr=follower,
            stdin=follower,
            env=env,
        )
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        assert process.wait(timeout=120) == 0
        os.close(leader)
        assert "100/100" in seen.decode() and "户/s" in seen.decode()

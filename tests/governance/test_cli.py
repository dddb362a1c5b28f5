"""The commands, run as a user runs them: `fupin tasks load-seeds`, `fupin tasks export`, …"""

import csv
import json
import os
import subprocess
import sys

import pytest
from openpyxl import load_workbook


def fupin(home, *args, check=True, **environ):
    env = {**os.environ, "FUPIN_HOME": str(home), **environ}
    env.pop("FUPIN_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "fupin", *args], env=env, capture_output=True, text=True, timeout=300
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One FUPIN_HOME with the seeds loaded twice (the second run must change nothing)."""
    home = tmp_path_factory.mktemp("home")
    first = fupin(home, "tasks", "load-seeds")
    second = fupin(home, "tasks", "load-seeds")
    home.joinpath("load.txt").write_text(first.stdout + "\n---\n" + second.stdout, encoding="utf-8")
    return home


def read_csv(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


class TestTasksCommands:
    def test_load_seeds_reports_the_same_counts_each_time(self, home):
        first, second = home.joinpath("load.txt").read_text(encoding="utf-8").split("\n---\n")
        assert first == second
        assert "seed-000：44项任务" in first
        assert "seed-002：82项任务" in first
        assert "seed-004：50项任务" in first

    @pytest.mark.parametrize(
        ("key", "count"), [("seed-000", 44), ("seed-002", 82), ("seed-004", 50)]
    )
    def test_export_writes_one_row_per_task_with_the_five_columns(self, home, tmp_path, key, count):
        out = tmp_path / f"{key}.csv"
        fupin(home, "tasks", "export", "--list", key, "--out", str(out))
        with out.open(encoding="utf-8", newline="") as fh:
            assert next(csv.reader(fh)) == ["number", "text", "lead_units", "co_units", "due"]
        rows = read_csv(out)
        assert len(rows) == count
        assert len({r["number"] for r in rows}) == count
        if key == "seed-004":
            self.check_seed_004({r["number"]: r for r in rows})

    def check_seed_004(self, rows):
        assert rows["24"]["lead_units"] == "省教育厅;市、县(市、区)党委和政府"
        assert rows["24"]["due"] == "2017-10-30"
        assert rows["13"]["due"] == "2017-12-31"
        assert rows["50"]["lead_units"] == "省委宣传部;市、县(市、区)党委和政府"

    def test_overdue_lists_what_a_unit_leads_that_is_past_its_date(self, home):
        result = fupin(home, "tasks", "overdue", "--unit", "省教育厅", "--date", "2017-11-01")
        assert "逾期：1项" in result.stdout
        assert "[seed-004 24] 2017-10-30" in result.stdout

    def test_an_unknown_list_is_refused(self, home, tmp_path):
        result = fupin(
            home,
            "tasks",
            "export",
            "--list",
            "seed-009",
            "--out",
            str(tmp_path / "x.csv"),
            check=False,
        )
        assert result.returncode != 0
        assert not (tmp_path / "x.csv").exists()


class TestGovernanceCommands:
    def test_the_ledger_exports_its_three_lists(self, home, tmp_path):
        out = tmp_path / "台账.xlsx"
        fupin(home, "ledger", "export", "--plan", "seed-003", "--out", str(out))
        assert load_workbook(out).sheetnames == ["问题清单", "责任清单", "整改清单"]

    def test_a_monthly_circular_is_written_as_xlsx_and_pdf(self, home, tmp_path):
        result = fupin(
            home,
            "circular",
            "--month",
            "2017-11",
            "--region",
            "360000000000",
            "--xlsx",
            str(tmp_path / "c.xlsx"),
            "--pdf",
            str(tmp_path / "c.pdf"),
        )
        assert "2017年11月" in result.stdout
        assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")
        assert load_workbook(tmp_path / "c.xlsx")["通报"]["A1"].value.endswith("进展通报")

    def test_a_pdf_without_an_embeddable_chinese_font_is_a_chinese_error_not_a_traceback(
        self, home, tmp_path
    ):
        result = fupin(
            home,
            "circular",
            "--month",
            "2017-11",
            "--region",
            "360000000000",
            "--pdf",
            str(tmp_path / "c.pdf"),
            check=False,
            FUPIN_PDF_FONT=str(tmp_path / "没有这个字体.ttf"),
        )
        assert result.returncode == 1
        assert "错误：环境变量 FUPIN_PDF_FONT 指定的字体文件不存在" in result.stderr
        assert "Traceback" not in result.stderr and not (tmp_path / "c.pdf").exists()

    def test_provincial_verification_stops_a_county_above_2_percent_from_a_summary_file(
        self, home, tmp_path
    ):
        county = "341822000000"
        summary = tmp_path / "summary.json"
        summary.write_text(json.dumps({"by_region": [{"region_code": county, "incidence": 0.024}]}))
        fupin(home, "county-exit", "start", "--county", county, "--name", "某县", "--year", "2018")
        fupin(
            home,
            "county-exit",
            "record",
            "--county",
            county,
            "--year",
            "2018",
            "--step",
            "self_check",
            "--date",
            "2018-11-20",
        )
        fupin(
            home,
            "county-exit",
            "record",
            "--county",
            county,
            "--year",
            "2018",
            "--step",
            "application",
            "--date",
            "2018-12-12",
            "--document",
            "退出申请报告",
        )
        fupin(
            home,
            "county-exit",
            "record",
            "--county",
            county,
            "--year",
            "2018",
            "--step",
            "city_review",
            "--date",
            "2018-12-28",
        )
        result = fupin(
            home,
            "county-exit",
            "record",
            "--county",
            county,
            "--year",
            "2018",
            "--step",
            "provincial_verification",
            "--date",
            "2019-02-10",
            "--summary",
            str(summary),
        )
        assert "不予退出" in result.stdout
        assert "贫困发生率超过2%" in result.stdout


class TestHouseholdExitCommand:
    def test_the_four_steps_mark_a_household_exited_and_order_is_enforced(self, tmp_path):
        from tests.registry import dataset

        home = tmp_path / "home"
        fupin(home, "import", str(dataset.write(tmp_path / "ds")), "--quiet")
        household_id = next(
            r["household_id"] for r in dataset.rows()["households"] if r["status"] == "未脱贫"
        )
        args = ("household-exit", "--household", household_id, "--year", "2018")
        early = fupin(home, *args, "--step", "县级审定", "--date", "2018-10-01", check=False)
        assert early.returncode != 0 and "民主评议" in early.stderr
        for i, step in enumerate(("民主评议", "村内公示", "乡镇审核")):
            fupin(home, *args, "--step", step, "--date", f"2018-10-{1 + 7 * i:02d}")
        last = fupin(home, *args, "--step", "县级审定", "--date", "2018-10-28")
        assert "已标注脱贫（2018年）" in last.stdout

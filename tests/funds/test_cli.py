"""`fupin funds …` as a user runs it: a real subprocess on a fresh FUPIN_HOME."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from openpyxl import Workbook, load_workbook

from fupin.engine.funds.projects_format import SHEET
from tests.registry import dataset

pytestmark = pytest.mark.slow


def fupin(home, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FUPIN_HOME=str(home))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "fupin", *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One FUPIN_HOME for the file, its database migrated and holding the registry test county."""
    folder = tmp_path_factory.mktemp("funds-cli")
    data = dataset.write(folder / "registry")
    imported = fupin(folder / "home", "import", str(data), "--quiet")
    assert imported.returncode == 0, imported.stderr
    return folder / "home"


def test_a_county_gets_demo_funds_passes_the_checks_and_prints_its_notices(home, tmp_path):
    demo = fupin(home, "funds", "demo", dataset.COUNTY, "--seed", "3")
    assert demo.returncode == 0, demo.stderr
    assert "projects" in demo.stdout

    check = fupin(home, "funds", "check", dataset.COUNTY, "--year", "2017", "--strict")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "共发现0个问题" in check.stdout

    notices = fupin(
        home, "funds", "notices", dataset.COUNTY, "--year", "2017", "--out", str(tmp_path / "pdf")
    )
    assert notices.returncode == 0, notices.stderr
    pdfs = sorted((tmp_path / "pdf").glob("*.pdf"))
    assert len(pdfs) == 4  # county, township and two villages
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)

    exported = tmp_path / "projects.xlsx"
    assert fupin(home, "funds", "export", str(exported)).returncode == 0
    rows = list(load_workbook(exported)[SHEET].iter_rows(values_only=True))
    assert rows[0][0] == "项目编号" and len(rows) > 1

    money = tmp_path / "money.xlsx"
    assert (
        fupin(home, "funds", "export-money", str(money), "--county", dataset.COUNTY).returncode == 0
    )
    again = fupin(home, "funds", "import-money", str(money))
    assert again.returncode == 0 and "资金台账已导入" in again.stdout, again.stderr

    report = fupin(
        home,
        "funds",
        "report",
        dataset.COUNTY,
        "--year",
        "2017",
        "--out",
        str(tmp_path / "reports"),
    )
    assert report.returncode == 0, report.stderr
    sheet = load_workbook(next((tmp_path / "reports").glob("*绩效评价表.xlsx")))["绩效评价"]
    summary = {r[0]: r[1] for r in sheet.iter_rows(values_only=True)}
    assert summary["下达=拨付+结转结余"] == "是"


def test_a_bad_project_workbook_is_refused_with_row_and_column(home, tmp_path):
    wb = Workbook()
    sheet = wb.active
    sheet.title = SHEET
    sheet.append(
        ["项目编号", "项目名称", "项目类型", "所在县区划代码", "计划年度", "预算金额", "项目状态"]
    )
    sheet.append(["XM-1", "道路", "修庙", "530523000000", 2017, 1000, "储备"])
    path = tmp_path / "坏项目库.xlsx"
    wb.save(path)
    result = fupin(home, "funds", "import", str(path))
    assert result.returncode == 1
    assert "坏项目库.xlsx 第2行 “项目类型”列，值“修庙”" in result.stderr
    assert "未写入任何数据" in result.stderr


def test_checking_a_county_not_in_the_registry_is_an_error_in_chinese(home):
    result = fupin(home, "funds", "check", "530599000000", "--year", "2017")
    assert result.returncode == 1 and "不在系统中" in result.stderr

"""Importing department rosters: every roster of FORMAT.md, CSV or workbook, validated as the
registry import validates, except that a row with a missing or invalid ID is kept and flagged."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from fupin.engine.comparison.rosters import import_rosters
from fupin.engine.standard_format import ROSTER_TABLES
from fupin.engine.tables import DatasetError
from tests.comparison.builder import person_id, write_csv

GOOD = person_id("1980-07-21", 22)


def write(folder: Path, table: str, header: tuple[str, ...], rows: list[dict[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / f"{table}.csv", header, rows)
    return folder


class TestRosterImport:
    def test_it_reads_every_roster_of_the_format(self, tmp_path: Path) -> None:
        for table in ROSTER_TABLES:
            write(tmp_path, table.name, table.field_names, [{"id_number": GOOD, "name": "王丽"}])
        rosters = import_rosters(tmp_path)
        assert rosters.ok, rosters.problems
        assert rosters.counts() == {t.name: 1 for t in ROSTER_TABLES}

    def test_a_row_with_a_missing_or_invalid_id_is_kept_and_flagged(self, tmp_path: Path) -> None:
        bad = GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")
        write(
            tmp_path,
            "roster_medical",
            ("id_number", "name", "year", "basic"),
            [
                {"id_number": GOOD, "name": "王丽", "year": "2017", "basic": "是"},
                {"id_number": "", "name": "张三", "year": "2017", "basic": "是"},
                {"id_number": bad.lower(), "name": "李四", "year": "2017", "basic": "否"},
            ],
        )
        rosters = import_rosters(tmp_path)
        assert rosters.ok
        rows = rosters.tables["roster_medical"].to_pylist()
        assert [r["id_valid"] for r in rows] == [True, False, False]
        assert rows[1]["id_problem"] == "身份证号为空"
        assert "校验码" in rows[2]["id_problem"]
        assert rows[2]["id_number"] == bad.upper()  # kept, normalised, for fuzzy matching
        assert [r["row_number"] for r in rows] == [2, 3, 4]

    def test_a_bad_value_elsewhere_is_a_problem_naming_file_row_and_column(
        self, tmp_path: Path
    ) -> None:
        write(
            tmp_path,
            "roster_students",
            ("身份证号", "姓名", "在读状态"),
            [
                {"身份证号": GOOD, "姓名": "王丽", "在读状态": "在读"},
                {"身份证号": GOOD, "姓名": "王丽", "在读状态": "毕业"},
            ],
        )
        rosters = import_rosters(tmp_path)
        assert not rosters.ok
        [problem] = rosters.problems
        text = str(problem)
        assert "roster_students.csv" in text and "第3行" in text and "在读状态" in text
        assert "毕业" in text and "辍学" in text

    def test_chinese_headers_and_synonyms_are_accepted(self, tmp_path: Path) -> None:
        write(
            tmp_path,
            "roster_civil",
            ("身份证号", "姓名", "类别", "户主身份证号"),
            [{"身份证号": GOOD, "姓名": "王丽", "类别": "五保", "户主身份证号": GOOD}],
        )
        rows = import_rosters(tmp_path).tables["roster_civil"].to_pylist()
        assert rows[0]["kind"] == "特困"

    def test_an_unknown_column_is_a_warning(self, tmp_path: Path) -> None:
        write(tmp_path, "roster_public_employees", ("id_number", "name", "备注"), [{"id_number": GOOD, "name": "王丽", "备注": "x"}])  # fmt: skip
        rosters = import_rosters(tmp_path)
        assert rosters.ok
        assert any("备注" in w for w in rosters.warnings)

    def test_it_reads_a_workbook_with_one_sheet_per_roster(self, tmp_path: Path) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "roster_housing"
        sheet.append(["身份证号", "姓名", "鉴定等级", "地址"])
        sheet.append([GOOD, "王丽", "d", "龙陵县龙山镇新寨村"])
        sheet.append([None, "张三", "C", "龙陵县龙山镇大坪村"])
        path = tmp_path / "rosters.xlsx"
        book.save(path)
        rows = import_rosters(path).tables["roster_housing"].to_pylist()
        assert [r["grade"] for r in rows] == ["D", "C"]
        assert [r["id_valid"] for r in rows] == [True, False]

    def test_a_folder_without_rosters_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(DatasetError, match="没有找到任何部门数据表"):
            import_rosters(tmp_path)

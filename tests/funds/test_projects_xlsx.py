"""Project library workbooks: export, re-import, and Chinese errors naming file, row and column."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook, load_workbook

from fupin.engine.funds.projects_format import PROJECT_TABLE, SHEET
from fupin.funds.models import Project
from fupin.funds.projects_io import export_projects, import_projects
from tests.funds.registry_county import COUNTY, VILLAGES

HEADER = [f.label for f in PROJECT_TABLE.fields]


def good_row(code: str = "XM-001", **changes: object) -> list[object]:
    values: dict[str, object] = {
        "项目编号": code,
        "项目名称": "新寨村通组道路硬化",
        "项目类型": "基础设施",
        "所在县区划代码": COUNTY,
        "所在村区划代码": VILLAGES[0],
        "计划年度": 2017,
        "预算金额": 850000.5,
        "资金来源": "中央、整合涉农资金",
        "受益户编号": f"{VILLAGES[0]}0001、{VILLAGES[0]}0002",
        "受益村区划代码": VILLAGES[0],
        "实施单位": "安远县交通运输局",
        "招标日期": dt.date(2017, 3, 10),
        "采购方式": "公开招标",
        "中标单位": "赣南路桥有限公司",
        "批复日期": dt.date(2017, 2, 20),
        "开工日期": dt.date(2017, 4, 1),
        "完工日期": dt.date(2017, 9, 30),
        "验收日期": dt.date(2017, 10, 15),
        "项目状态": "已验收",
    }
    values.update(changes)
    return [values[h] for h in HEADER]


def workbook(path, *rows: list[object], header: list[str] = HEADER):
    wb = Workbook()
    sheet = wb.active
    sheet.title = SHEET
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    wb.save(path)
    return path


@pytest.mark.django_db
class TestProjectWorkbook:
    def test_a_valid_workbook_is_imported_with_beneficiaries(self, county, tmp_path):
        result = import_projects(workbook(tmp_path / "项目库.xlsx", good_row()))
        assert result.committed and result.created == 1
        project = Project.objects.get(code="XM-001")
        assert project.budget == pytest.approx(850000.50)
        assert project.funding_sources == "中央、整合涉农资金"
        assert sorted(h.household_id for h in project.beneficiary_households.all()) == [
            f"{VILLAGES[0]}0001",
            f"{VILLAGES[0]}0002",
        ]
        assert project.accepted_on == dt.date(2017, 10, 15)

    def test_an_exported_library_imports_back_unchanged(self, demo_county, tmp_path):
        path = tmp_path / "export.xlsx"
        count = export_projects(path, COUNTY)
        assert count == Project.objects.count() > 0
        before = {
            p.code: (p.name, p.budget, p.accepted_on, p.beneficiary_households.count())
            for p in Project.objects.all()
        }
        wb = load_workbook(path)
        wb[SHEET].cell(2, 2).value = "改过名字的项目"
        wb.save(path)
        result = import_projects(path)
        assert result.committed, [str(p) for p in result.problems]
        assert result.updated == count and result.created == 0
        after = {
            p.code: (p.name, p.budget, p.accepted_on, p.beneficiary_households.count())
            for p in Project.objects.all()
        }
        changed = [code for code in before if before[code] != after[code]]
        assert len(changed) == 1 and after[changed[0]][0] == "改过名字的项目"

    def test_bad_cells_are_reported_with_file_row_and_column_and_nothing_is_written(
        self, county, tmp_path
    ):
        path = workbook(
            tmp_path / "项目库.xlsx",
            good_row("XM-001"),
            good_row("XM-002", 项目类型="修庙", 预算金额="八十万"),
            good_row("XM-003", 开工日期=dt.date(2017, 1, 1)),
            good_row("XM-001"),
        )
        result = import_projects(path)
        assert not result.committed
        messages = [str(p) for p in result.problems]
        assert (
            "项目库.xlsx 第3行 “项目类型”列，值“修庙”：不是允许的取值，应为：产业、基础设施、易地搬迁配套、危房改造、教育、健康、就业、资产收益、金融、生态、其他"
            in messages
        )
        assert any(
            m.startswith("项目库.xlsx 第3行 “预算金额”列") and "应为数字" in m for m in messages
        )
        assert any(
            m.startswith("项目库.xlsx 第4行 “开工日期”列") and "不能早于批复日期" in m
            for m in messages
        )
        assert any(
            m.startswith("项目库.xlsx 第5行 “项目编号”列") and "与第2行重复" in m for m in messages
        )
        assert Project.objects.count() == 0

    def test_households_and_villages_must_be_in_the_registry_of_the_county(self, county, tmp_path):
        path = workbook(
            tmp_path / "p.xlsx",
            good_row("XM-001", 受益户编号="999999999999"),
            good_row(
                "XM-002",
                所在县区划代码="360727000000",
                所在村区划代码=None,
                受益村区划代码=None,
                受益户编号=None,
            ),
        )
        result = import_projects(path)
        messages = [str(p) for p in result.problems]
        assert "p.xlsx 第2行 “受益户编号”列，值“999999999999”：户编号不在建档立卡系统中" in messages
        assert "p.xlsx 第3行 “所在县区划代码”列，值“360727000000”：区划代码不在系统中" in messages
        assert Project.objects.count() == 0

    def test_a_status_needs_its_milestone(self, county, tmp_path):
        result = import_projects(workbook(tmp_path / "p.xlsx", good_row(验收日期=None)))
        assert [str(p) for p in result.problems] == [
            "p.xlsx 第2行 “项目状态”列，值“已验收”：状态为“已验收”时应填写验收日期"
        ]

    def test_a_missing_required_column_is_named(self, county, tmp_path):
        header = [h for h in HEADER if h != "预算金额"]
        row = [v for h, v in zip(HEADER, good_row(), strict=True) if h != "预算金额"]
        result = import_projects(workbook(tmp_path / "p.xlsx", row, header=header))
        assert [str(p) for p in result.problems] == ["p.xlsx 第1行 “预算金额”列：缺少必需的列"]

    def test_a_file_that_is_not_a_workbook_is_refused_in_chinese(self, county, tmp_path):
        path = tmp_path / "p.xlsx"
        path.write_text("不是表格", "utf-8")
        result = import_projects(path)
        assert not result.committed and "无法作为Excel工作簿打开" in str(result.problems[0])

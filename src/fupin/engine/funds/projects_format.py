"""The project library workbook (项目库): its columns, and reading it with Chinese errors.

One sheet named 项目库, first row the Chinese column names below (the English names are
accepted too). Checks that need no database live here: types, allowed values, milestone
order and status; the importer adds the checks against the registry (county, village,
households) and writes all or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

from fupin.engine.standard_format import Field, Table
from fupin.engine.tables import Problem
from fupin.engine.values import CellError, Value, parse_cell

SHEET = "项目库"

PROJECT_KINDS = (
    "产业",
    "基础设施",
    "易地搬迁配套",
    "危房改造",
    "教育",
    "健康",
    "就业",
    "资产收益",
    "金融",
    "生态",
    "其他",
)
FUND_SOURCES = ("中央", "省", "市", "县", "整合涉农资金", "社会帮扶", "信贷")
PROCUREMENT_METHODS = (
    "公开招标",
    "邀请招标",
    "竞争性谈判",
    "竞争性磋商",
    "询价",
    "单一来源",
    "村民自建",
    "无需采购",
)
PROJECT_STATUSES = ("储备", "已批复", "实施中", "已完工", "已验收", "已取消")
PAYMENT_KINDS = (
    "产业奖补",
    "危改补助",
    "易地搬迁补助",
    "教育资助",
    "健康扶贫补助",
    "就业补贴",
    "小额信贷贴息",
    "资产收益分红",
    "其他",
)

PROJECT_TABLE = Table(
    name="projects",
    label=SHEET,
    key=("code",),
    fields=(
        Field("code", "项目编号", "text", required=True),
        Field("name", "项目名称", "text", required=True),
        Field("kind", "项目类型", "enum", required=True, values=PROJECT_KINDS),
        Field("county_code", "所在县区划代码", "code", required=True),
        Field("village_code", "所在村区划代码", "code"),
        Field("plan_year", "计划年度", "year", required=True),
        Field("budget", "预算金额", "money", required=True),
        Field("funding_sources", "资金来源", "list", values=FUND_SOURCES),
        Field("beneficiary_households", "受益户编号", "text"),
        Field("beneficiary_villages", "受益村区划代码", "text"),
        Field("implementing_unit", "实施单位", "text"),
        Field("tender_date", "招标日期", "date"),
        Field("procurement_method", "采购方式", "enum", values=PROCUREMENT_METHODS),
        Field("winning_bidder", "中标单位", "text"),
        Field("approved_on", "批复日期", "date"),
        Field("started_on", "开工日期", "date"),
        Field("completed_on", "完工日期", "date"),
        Field("accepted_on", "验收日期", "date"),
        Field("status", "项目状态", "enum", required=True, values=PROJECT_STATUSES),
    ),
)

MILESTONES = ("approved_on", "started_on", "completed_on", "accepted_on")
# the milestone a status needs recorded
STATUS_NEEDS = {
    "已批复": "approved_on",
    "实施中": "started_on",
    "已完工": "completed_on",
    "已验收": "accepted_on",
}


def split_list(text: object) -> list[str]:
    """受益户编号 and 受益村 cells: items separated by 、 ; ， or new lines."""
    raw = "" if text is None else str(text)
    for sep in ("；", "，", ",", "、", "\n"):
        raw = raw.replace(sep, ";")
    return [p.strip() for p in raw.split(";") if p.strip()]


@dataclass(frozen=True)
class ProjectRow:
    row: int
    values: dict[str, Value]


def check_row(values: dict[str, Value]) -> list[tuple[str, str]]:
    """Problems across cells of one parsed row: (field name, message)."""
    out: list[tuple[str, str]] = []
    previous: tuple[str, dt.date] | None = None
    for name in MILESTONES:
        value = values.get(name)
        if isinstance(value, dt.date):
            if previous and value < previous[1]:
                before = PROJECT_TABLE.field(previous[0]).label
                out.append((name, f"不能早于{before}（{previous[1].isoformat()}）"))
            previous = (name, value)
    status = values.get("status")
    if isinstance(status, str) and status in STATUS_NEEDS:
        needed = STATUS_NEEDS[status]
        if values.get(needed) is None:
            out.append(("status", f"状态为“{status}”时应填写{PROJECT_TABLE.field(needed).label}"))
    if status in ("储备", "已批复") and values.get("started_on") is not None:
        out.append(("status", "已填写开工日期，状态不应为“储备”或“已批复”"))
    if values.get("winning_bidder") and values.get("tender_date") is None:
        out.append(("tender_date", "填写了中标单位时应填写招标日期"))
    village = values.get("village_code")
    county = values.get("county_code")
    if isinstance(village, str) and isinstance(county, str) and village[:6] != county[:6]:
        out.append(("village_code", f"村不在所填的县（{county}）内"))
    return out


def read_projects(path: Path) -> tuple[list[ProjectRow], list[Problem]]:
    """Every row of the 项目库 sheet, typed, and every problem found (file, row, column)."""
    sheets, problems = read_sheets(path, [PROJECT_TABLE], single_sheet_ok=True)
    rows = sheets.get(PROJECT_TABLE.label, [])
    for r in rows:
        for name, message in check_row(r.values):
            shown = "" if r.values.get(name) is None else str(r.values[name])
            problems.append(
                Problem(path.name, r.row, PROJECT_TABLE.field(name).label, shown, message)
            )
    return rows, problems


def read_sheets(
    path: Path, tables: list[Table], *, single_sheet_ok: bool = False, optional: bool = False
) -> tuple[dict[str, list[ProjectRow]], list[Problem]]:
    """Typed rows of each table's sheet (named by the table's label), keyed by that label.

    Problems name the file, row and column in Chinese; a key field repeated within a sheet is a
    problem too. With optional, a missing sheet is simply absent from the result.
    """
    label = path.name
    out: dict[str, list[ProjectRow]] = {}
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        return out, [Problem(label, 0, "", "", f"无法作为Excel工作簿打开（{type(exc).__name__}）")]
    problems: list[Problem] = []
    try:
        for table in tables:
            if table.label in workbook.sheetnames:
                sheet = workbook[table.label]
            elif single_sheet_ok and len(workbook.sheetnames) == 1:
                sheet = workbook[workbook.sheetnames[0]]
            elif optional:
                continue
            else:
                problems.append(Problem(label, 0, "", "", f"找不到名为“{table.label}”的工作表"))
                continue
            where = label if table.label == SHEET else f"{label}［{table.label}］"
            rows, found = _read_sheet(sheet.iter_rows(values_only=True), table, where)
            out[table.label] = rows
            problems.extend(found)
        return out, problems
    finally:
        workbook.close()


def _read_sheet(
    lines: Iterator[tuple[object, ...]], table: Table, label: str
) -> tuple[list[ProjectRow], list[Problem]]:
    header = next(lines, None)
    if header is None:
        return [], [Problem(label, 1, "", "", "工作表是空的")]
    by_label = {f.label: f for f in table.fields} | {f.name: f for f in table.fields}
    columns: dict[int, Field] = {}
    problems: list[Problem] = []
    for index, title in enumerate(header):
        text = "" if title is None else str(title).strip()
        if not text:
            continue
        f = by_label.get(text)
        if f is None:
            problems.append(Problem(label, 1, text, "", "不认识的列名"))
        else:
            columns[index] = f
    present = {f.name for f in columns.values()}
    for f in table.fields:
        if f.required and f.name not in present:
            problems.append(Problem(label, 1, f.label, "", "缺少必需的列"))
    if problems:
        return [], problems
    rows: list[ProjectRow] = []
    seen: dict[tuple[object, ...], int] = {}
    for number, line in enumerate(lines, start=2):
        if line is None or all(c is None or str(c).strip() == "" for c in line):
            continue
        values: dict[str, Value] = {f.name: None for f in table.fields}
        for index, f in columns.items():
            cell = line[index] if index < len(line) else None
            try:
                values[f.name] = parse_cell(f, cell)
            except CellError as exc:
                shown = "" if cell is None else str(cell)
                problems.append(Problem(label, number, f.label, shown, str(exc)))
        key = tuple(values.get(k) for k in table.key)
        if table.key and all(k is not None for k in key):
            if key in seen:
                first = table.field(table.key[0])
                problems.append(
                    Problem(label, number, first.label, str(key[0]), f"与第{seen[key]}行重复")
                )
            seen.setdefault(key, number)
        rows.append(ProjectRow(number, values))
    return rows, problems

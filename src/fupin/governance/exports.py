"""Ledger exports: task lists as CSV, the rectification ledger as its three lists in XLSX."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from fupin.governance.models import Problem, RectificationMeasure, Task, TaskList

TASK_COLUMNS = ("number", "text", "lead_units", "co_units", "due")


def task_rows(list_key: str) -> list[dict[str, str]]:
    """One row per task (item) of a list: number, text, lead and co units (`;`-joined), due."""
    tl = TaskList.objects.filter(key=list_key).first()
    if tl is None:
        raise KeyError(f"任务清单 {list_key} 尚未导入，请先运行 fupin tasks load-seeds")
    rows = []
    tasks = (
        Task.objects.filter(task_list=tl, kind="item")
        .prefetch_related("units")
        .order_by("position")
    )
    for t in tasks:
        rows.append(
            {
                "number": t.number,
                "text": t.text,
                "lead_units": ";".join(t.unit_names("lead")),
                "co_units": ";".join(t.unit_names("co")),
                "due": t.due_display,
            }
        )
    return rows


def write_task_csv(list_key: str, path: str | Path) -> int:
    rows = task_rows(list_key)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=TASK_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def figure_text(f: dict[str, Any]) -> str:
    """One measured figure: {indicator, op, value, unit, text} as the seeds write it, or any
    other mapping (e.g. a funds finding's 规则/出处/金额) as 键：值 pairs."""
    if "indicator" in f:
        told = f.get("text") or f"{f.get('op', '')}{f.get('value', '')}{f.get('unit', '')}"
        return f"{f['indicator']}{told}"
    keys = f.get("_order") or [k for k in f if k != "_order"]
    return "，".join(f"{k}：{f[k]}" for k in keys if f.get(k) not in (None, ""))


def _figures_text(figures: list[dict[str, Any]] | dict[str, Any]) -> str:
    if isinstance(figures, dict):
        figures = [figures]
    return "；".join(figure_text(f) for f in figures if isinstance(f, dict))


def _sheet(
    wb: Workbook, title: str, header: list[str], rows: Iterable[list[Any]], widths: list[int]
) -> None:
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


def problem_list_rows(problems: QuerySet[Problem]) -> list[list[Any]]:
    return [
        [
            p.number,
            p.group_title,
            p.text,
            _figures_text(p.figures),
            p.get_source_kind_display(),
            p.source_ref,
        ]
        for p in problems
    ]


def responsibility_rows(measures: QuerySet[RectificationMeasure]) -> list[list[Any]]:
    rows = []
    for m in measures.prefetch_related("units"):
        rows.append(
            [
                m.number,
                m.text,
                "、".join(m.unit_names("lead")),
                "、".join(m.unit_names("responsible")),
                m.due_display,
            ]
        )
    return rows


def rectification_rows(problems: QuerySet[Problem]) -> list[list[Any]]:
    rows = []
    for p in problems.prefetch_related("measures", "responsible_units", "evidence"):
        rows.append(
            [
                p.number,
                p.text,
                "；".join(m.number for m in p.measures.all())
                + (f"；{p.measures_text}" if p.measures_text else ""),
                p.lead_unit.name if p.lead_unit else "",
                "、".join(u.name for u in p.responsible_units.all()),
                p.due_display,
                p.get_status_display(),
                p.closed_at.strftime("%Y-%m-%d") if p.closed_at else "",
                p.approved_by.get_username() if p.approved_by and p.status == "closed" else "",
                len(p.evidence.all()),
                p.reopen_count,
            ]
        )
    return rows


def write_ledger_xlsx(problems: QuerySet[Problem], path: str | Path) -> Path:
    """The three lists the documents ask for: 问题清单, 责任清单, 整改清单 (with deadlines)."""
    problems = problems.select_related("lead_unit", "approved_by").order_by(
        "plan", "position", "id"
    )
    measures = (
        RectificationMeasure.objects.filter(problems__in=problems)
        .distinct()
        .order_by("plan", "position")
    )
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    _sheet(
        wb,
        "问题清单",
        ["序号", "问题类别", "问题", "测算数据", "问题来源", "来源编号"],
        problem_list_rows(problems),
        [10, 24, 70, 36, 10, 20],
    )
    _sheet(
        wb,
        "责任清单",
        ["措施序号", "整改措施", "牵头部门", "责任单位", "整改时限"],
        responsibility_rows(measures),
        [10, 80, 24, 50, 12],
    )
    _sheet(
        wb,
        "整改清单",
        [
            "问题序号",
            "问题",
            "整改措施",
            "牵头部门",
            "责任单位",
            "整改时限",
            "状态",
            "销号日期",
            "审核人",
            "佐证材料数",
            "重新整改次数",
        ],
        rectification_rows(problems),
        [10, 60, 16, 20, 40, 12, 10, 12, 12, 10, 10],
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path

"""Monthly progress circulars (通报) from the ledgers, and the warnings for missed reports.

The figures (tasks due / done / late by unit, the rectification closing rate) each come from one
function here, used by the pages, the CLI and the XLSX / PDF alike.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Q, QuerySet
from openpyxl import Workbook
from openpyxl.styles import Font

from fupin.governance.models import Organisation, Problem, Task, TaskUnit
from fupin.registry.regions import subtree_range
from fupin.reports import pdf


def month_end(month: str) -> dt.date:
    """'2017-11' → 2017-11-30."""
    try:
        y, m = (int(x) for x in month.split("-"))
        return dt.date(y, m, calendar.monthrange(y, m)[1])
    except ValueError as exc:
        raise ValueError(f"月份应写作 YYYY-MM，如 2017-11：{month}") from exc


def closing_rate(problems: QuerySet[Problem]) -> tuple[int, int, float | None]:
    """(closed, total, rate): a reopened item counts as open."""
    total = problems.count()
    closed = problems.filter(status="closed").count()
    return closed, total, (closed / total if total else None)


def last_report_deadline(task: Task, as_of: dt.date) -> dt.date | None:
    """The most recent periodic report deadline of the task's list on or before `as_of`."""
    kind = task.task_list.report_kind
    if kind == "monthly":
        first = as_of.replace(day=1)
        prev = first - dt.timedelta(days=1)
        return as_of if as_of == month_end(f"{as_of.year}-{as_of.month}") else prev
    if kind == "semiannual":
        candidates = []
        for md in task.task_list.report_days or ["07-20", "01-20"]:
            m, d = (int(x) for x in md.split("-"))
            for y in (as_of.year - 1, as_of.year):
                candidates.append(dt.date(y, m, d))
        past = [c for c in candidates if c <= as_of]
        return max(past) if past else None
    return None


def done_by(task: Task, as_of: dt.date) -> bool:
    return task.status == "done" and (task.completed_on is None or task.completed_on <= as_of)


@dataclass
class Warning:
    task: Task
    kind: str  # 逾期未报 / 未按时报送
    deadline: dt.date
    units: list[str]

    @property
    def text(self) -> str:
        if self.kind == "逾期未报":
            return f"任务{self.task.number}已于{self.deadline.isoformat()}到期，未完成且无进展报送"
        return f"任务{self.task.number}应于{self.deadline.isoformat()}前报送进展，尚未报送"


def report_warnings(tasks: QuerySet[Task], as_of: dt.date) -> list[Warning]:
    """Deadlines that passed without a report: the task's own due date, or its list's schedule."""
    warnings = []
    for t in (
        tasks.filter(kind="item")
        .exclude(status__in=["done", "cancelled"])
        .select_related("task_list")
        .prefetch_related("reports", "units")
    ):
        reports = [r.submitted_at.date() for r in t.reports.all()]
        units = t.unit_names("lead") or t.unit_names("co")
        if t.due and not t.long_term and t.due < as_of and not reports:
            warnings.append(Warning(t, "逾期未报", t.due, units))
            continue
        deadline = last_report_deadline(t, as_of)
        if deadline is None or (t.task_list.issued and deadline < t.task_list.issued):
            continue
        period_start = _previous_deadline(t, deadline)
        if not any(period_start < r <= deadline for r in reports):
            warnings.append(Warning(t, "未按时报送", deadline, units))
    return warnings


def _previous_deadline(task: Task, deadline: dt.date) -> dt.date:
    before = last_report_deadline(task, deadline - dt.timedelta(days=1))
    return before or dt.date(deadline.year - 1, deadline.month, min(deadline.day, 28))


@dataclass
class UnitRow:
    unit: str
    led: int = 0
    co: int = 0
    due: int = 0
    done: int = 0
    late: int = 0
    due_soon: int = 0
    problems: int = 0
    problems_closed: int = 0

    @property
    def closing_rate(self) -> float | None:
        return self.problems_closed / self.problems if self.problems else None


@dataclass
class Circular:
    title: str
    scope: str
    month: str
    as_of: dt.date
    units: list[UnitRow] = field(default_factory=list)
    tasks_due: int = 0
    tasks_done: int = 0
    tasks_late: int = 0
    problems_total: int = 0
    problems_closed: int = 0
    problems_reopened: int = 0
    warnings: list[Warning] = field(default_factory=list)

    @property
    def closing_rate(self) -> float | None:
        return self.problems_closed / self.problems_total if self.problems_total else None


def _tasks_in(region_code: str | None, organisation: Organisation | None) -> QuerySet[Task]:
    qs = Task.objects.filter(kind="item")
    if organisation is not None:
        return qs.filter(units__organisation=organisation).distinct()
    if region_code:
        low, high = subtree_range(region_code)
        return qs.filter(
            Q(region_code__gte=low, region_code__lte=high)
            | Q(
                units__organisation__region_code__gte=low,
                units__organisation__region_code__lte=high,
            )
        ).distinct()
    return qs


def _problems_in(region_code: str | None, organisation: Organisation | None) -> QuerySet[Problem]:
    qs = Problem.objects.all()
    if organisation is not None:
        return qs.filter(Q(lead_unit=organisation) | Q(responsible_units=organisation)).distinct()
    if region_code:
        low, high = subtree_range(region_code)
        return qs.filter(region_code__gte=low, region_code__lte=high)
    return qs


def build_circular(
    month: str,
    *,
    region_code: str | None = None,
    organisation: Organisation | None = None,
    scope_name: str = "",
) -> Circular:
    as_of = month_end(month)
    tasks = _tasks_in(region_code, organisation)
    problems = _problems_in(region_code, organisation)
    scope = scope_name or (organisation.name if organisation else (region_code or "全部"))
    y, m = month.split("-")
    c = Circular(
        title=f"{scope}{int(y)}年{int(m)}月脱贫攻坚任务和整改进展通报",
        scope=scope,
        month=month,
        as_of=as_of,
    )

    rows: dict[int, UnitRow] = {}
    soon_limit = as_of + dt.timedelta(days=30)
    task_ids = list(tasks.values_list("pk", flat=True))
    links = TaskUnit.objects.filter(task_id__in=task_ids).select_related("task", "organisation")
    if organisation is not None:
        links = links.filter(organisation=organisation)
    for link in links:
        t = link.task
        row = rows.setdefault(link.organisation_id, UnitRow(link.organisation.name))
        if link.role == "lead":
            row.led += 1
        else:
            row.co += 1
        if t.due and not t.long_term and t.due <= as_of:
            row.due += 1
            if done_by(t, as_of):
                row.done += 1
        if t.is_late(as_of):
            row.late += 1
        if not done_by(t, as_of) and t.due and as_of < t.due <= soon_limit:
            row.due_soon += 1
    for p in problems.prefetch_related("responsible_units"):
        units = ([p.lead_unit] if p.lead_unit else []) + [
            u for u in p.responsible_units.all() if u != p.lead_unit
        ]
        for u in units:
            if organisation is not None and u != organisation:
                continue
            row = rows.setdefault(u.pk, UnitRow(u.name))
            row.problems += 1
            if p.status == "closed":
                row.problems_closed += 1
    c.units = sorted(rows.values(), key=lambda r: (-r.late, -r.due, r.unit))
    for t in tasks:
        if t.due and not t.long_term and t.due <= as_of:
            c.tasks_due += 1
            if done_by(t, as_of):
                c.tasks_done += 1
        if t.is_late(as_of):
            c.tasks_late += 1
    c.problems_closed, c.problems_total, _ = closing_rate(problems)
    c.problems_reopened = problems.filter(status="reopened").count()
    c.warnings = report_warnings(tasks, as_of)
    return c


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


UNIT_HEADER = [
    "单位",
    "牵头任务",
    "协同任务",
    "已到期",
    "已完成",
    "逾期",
    "30日内到期",
    "整改问题",
    "已销号",
    "销号率",
]


def _unit_cells(r: UnitRow) -> list[object]:
    return [
        r.unit,
        r.led,
        r.co,
        r.due,
        r.done,
        r.late,
        r.due_soon,
        r.problems,
        r.problems_closed,
        _pct(r.closing_rate),
    ]


def summary_text(c: Circular) -> str:
    return (
        f"截至{c.as_of.year}年{c.as_of.month}月{c.as_of.day}日，已到期任务{c.tasks_due}项，已完成{c.tasks_done}项，"
        f"逾期{c.tasks_late}项；整改问题{c.problems_total}个，已销号{c.problems_closed}个"
        f"（其中重新整改{c.problems_reopened}个计为未销号），销号率{_pct(c.closing_rate)}。"
    )


def write_xlsx(c: Circular, path: str | Path) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "通报"
    ws.append([c.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([summary_text(c)])
    ws.append([])
    ws.append(UNIT_HEADER)
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for r in c.units:
        ws.append(_unit_cells(r))
    ws.column_dimensions["A"].width = 36
    w2 = wb.create_sheet("预警")
    w2.append(["任务", "类型", "时限", "责任单位", "说明"])
    for w in c.warnings:
        w2.append([w.task.number, w.kind, w.deadline.isoformat(), "、".join(w.units), w.text])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_pdf(c: Circular, path: str | Path) -> Path:
    blocks: list[pdf.Block] = [
        pdf.Heading("一、总体情况"),
        pdf.Paragraph(summary_text(c)),
        pdf.Heading("二、分单位情况"),
        pdf.Table(
            UNIT_HEADER,
            [_unit_cells(r) for r in c.units],
            col_widths=[60, 18, 18, 18, 18, 16, 22, 20, 18, 20],
        ),
    ]
    if c.warnings:
        blocks.append(pdf.Heading("三、预警：到期未报送"))
        blocks.append(
            pdf.Table(
                ["任务", "类型", "时限", "责任单位", "说明"],
                [
                    [w.task.number, w.kind, w.deadline.isoformat(), "、".join(w.units), w.text]
                    for w in c.warnings
                ],
                col_widths=[18, 22, 24, 80, 110],
            )
        )
    return pdf.write_pdf(
        path, c.title, blocks, subtitle=f"统计截至 {c.as_of.isoformat()}", wide=True
    )

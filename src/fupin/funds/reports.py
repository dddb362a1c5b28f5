"""Reports: the fund performance sheet of a county (the assessment's 扶贫资金 component) and the
project progress ledger, as figures and as XLSX."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.models import Sum
from openpyxl import Workbook
from openpyxl.styles import Font

from fupin.engine.funds import figures as f
from fupin.engine.funds.policy import FundsPolicy, load_funds_policy
from fupin.funds import figures
from fupin.funds.checks import run_checks
from fupin.funds.models import Allocation, Disbursement, Project
from fupin.registry.models import Region


def fund_performance(
    county_code: str, year: int, *, as_of: dt.date | None = None, policy: FundsPolicy | None = None
) -> dict[str, Any]:
    """The figures of a county's 扶贫资金 for a year, for the assessment's scoring and the sheet.

    Keys: county, year, as_of, allocated (total and by_source of the fund year), disbursed,
    spend_rate, carryover (per fund year: allocated, carried_over, rate, limit, within_limit),
    reconciled (every source and year balances), integration (ratios or None), projects
    (counts by milestone), acceptance_rate, payments, notice_ok (no notice finding), findings
    (count per rule) and finding_total.
    """
    policy = policy or load_funds_policy()
    as_of = as_of or policy.check_date(year)
    county = Region.objects.get(code=county_code)
    by_source = {
        r["source"]: f.yuan(r["total"])
        for r in Allocation.objects.filter(
            county_id=county_code, fund_year=year, allocated_on__lte=as_of
        )
        .values("source")
        .annotate(total=Sum("amount"))
    }
    allocated = f.yuan(sum(by_source.values(), Decimal(0)))
    disbursed = f.yuan(
        Disbursement.objects.filter(
            allocation__county_id=county_code, allocation__fund_year=year, disbursed_on__lte=as_of
        ).aggregate(total=Sum("amount"))["total"]
    )
    carry = figures.carryover_by_year(county_code, as_of, policy)
    from fupin.engine.funds.policy import carryover_exceeds

    integration = figures.integration(county_code, year, as_of)
    progress = figures.project_progress(county_code, year)
    findings = run_checks(county_code, year, as_of=as_of, policy=policy)
    per_rule = Counter(x.rule for x in findings)
    return {
        "county": county_code,
        "county_name": county.name,
        "year": year,
        "as_of": as_of,
        "policy": policy.id,
        "allocated": allocated,
        "by_source": by_source,
        "disbursed": disbursed,
        "spend_rate": f.ratio(disbursed, allocated),
        "carryover": [
            {
                "fund_year": c.fund_year,
                "allocated": c.allocated,
                "carried_over": c.carried_over,
                "rate": c.rate,
                "limit": c.limit,
                "within_limit": not carryover_exceeds(c.rate, c.limit),
            }
            for c in carry
        ],
        "reconciled": all(b.reconciled for b in figures.fund_balances(county_code, as_of)),
        "integration": None
        if integration is None
        else {
            "in_scope": integration.in_scope,
            "planned": integration.planned,
            "integrated": integration.integrated,
            "spent": integration.spent,
            **{f"{k}_ratio": v for k, v in integration.ratios.items()},
        },
        "projects": progress,
        "acceptance_rate": f.ratio(progress["accepted"], progress["completed"]),
        "payments": figures.household_payments(county_code, year),
        "notice_ok": not any(r.startswith("notice_") for r in per_rule),
        "findings": dict(per_rule),
        "finding_total": len(findings),
        "finding_list": findings,
    }


def _sheet(
    workbook: Workbook, title: str, header: list[str], rows: list[list[Any]], first: bool = False
) -> None:
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    for index in range(1, len(header) + 1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = 18


def performance_workbook(path: Path, figures_: dict[str, Any]) -> Path:
    """绩效评价表: summary, carry-over by fund year, findings."""
    wb = Workbook()
    summary = [
        ["县", f"{figures_['county_name']}（{figures_['county']}）"],
        ["年度", figures_["year"]],
        ["截止日期", figures_["as_of"].isoformat()],
        ["下达资金（元）", figures_["allocated"]],
        *[[f"  其中：{k}", v] for k, v in sorted(figures_["by_source"].items())],
        ["已拨付（元）", figures_["disbursed"]],
        ["支出进度", f.percent(figures_["spend_rate"])],
        ["下达=拨付+结转结余", "是" if figures_["reconciled"] else "否"],
        ["项目数", figures_["projects"]["total"]],
        ["已完工", figures_["projects"]["completed"]],
        ["已验收", figures_["projects"]["accepted"]],
        ["验收率（占已完工）", f.percent(figures_["acceptance_rate"])],
        ["到户资金笔数", figures_["payments"]["count"]],
        ["到户资金金额（元）", figures_["payments"]["amount"]],
        ["公告公示完整", "是" if figures_["notice_ok"] else "否"],
        ["发现问题数", figures_["finding_total"]],
    ]
    integration = figures_["integration"]
    if integration:
        summary += [
            ["计划整合占纳入整合范围", f.percent(integration["plan_ratio"])],
            ["已整合占计划整合", f.percent(integration["done_ratio"])],
            ["已支出占计划整合", f.percent(integration["spent_ratio"])],
        ]
    _sheet(wb, "绩效评价", ["项目", "数值"], summary, first=True)
    _sheet(
        wb,
        "结转结余",
        ["资金年度", "下达（元）", "结转结余（元）", "结转结余率", "限额", "是否达标"],
        [
            [
                c["fund_year"],
                c["allocated"],
                c["carried_over"],
                f.percent(c["rate"]),
                "—"
                if c["limit"] is None
                else ("为0" if c["limit"] == 0 else f"低于{f.percent(c['limit'])}"),
                "是" if c["within_limit"] else "否",
            ]
            for c in figures_["carryover"]
        ],
    )
    _sheet(
        wb,
        "发现问题",
        ["规则", "对象", "问题", "金额", "出处"],
        [[x.name, x.subject, x.message, x.amount, x.source] for x in figures_["finding_list"]],
    )
    wb.save(path)
    return path


LEDGER_HEADER = [
    "项目编号",
    "项目名称",
    "类型",
    "所在村",
    "计划年度",
    "预算（元）",
    "下达（元）",
    "拨付（元）",
    "拨付进度",
    "实施单位",
    "采购方式",
    "招标日期",
    "中标单位",
    "批复",
    "开工",
    "完工",
    "验收",
    "状态",
]


def ledger_rows(county_code: str, year: int | None = None) -> list[list[Any]]:
    """项目进度台账: one row per project with its money and milestones."""
    projects = (
        Project.objects.filter(county_id=county_code)
        .select_related("village")
        .annotate(allocated=Sum("allocations__amount", distinct=False))
        .order_by("plan_year", "code")
    )
    if year:
        projects = projects.filter(plan_year=year)
    paid = {
        r["project_id"]: r["total"]
        for r in Disbursement.objects.filter(project__county_id=county_code)
        .values("project_id")
        .annotate(total=Sum("amount"))
    }
    rows = []
    for p in projects:
        out = f.yuan(paid.get(p.id))
        rows.append(
            [
                p.code,
                p.name,
                p.kind,
                p.village.name if p.village else "",
                p.plan_year,
                f.yuan(p.budget),
                f.yuan(p.allocated),
                out,
                f.percent(f.ratio(out, p.budget)),
                p.implementing_unit,
                p.procurement_method,
                p.tender_date,
                p.winning_bidder,
                p.approved_on,
                p.started_on,
                p.completed_on,
                p.accepted_on,
                p.status,
            ]
        )
    return rows


def ledger_workbook(path: Path, county_code: str, year: int | None = None) -> Path:
    wb = Workbook()
    _sheet(wb, "项目进度台账", LEDGER_HEADER, ledger_rows(county_code, year), first=True)
    for row in wb.active.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def fund_performance_within(
    region_code: str, year: int, *, policy: FundsPolicy | None = None
) -> list[dict[str, Any]]:
    """fund_performance of every county in a region (a city's counties for its score sheet)."""
    policy = policy or load_funds_policy()
    counties = Region.objects.within(region_code).filter(level="县").order_by("code")
    return [fund_performance(c.code, year, policy=policy) for c in counties]

"""The money workbook (资金台账): import all or nothing, export what the database holds.

Rows are matched by their keys (下达文号 within the county, 拨付凭证号); a household payment
identical to one already recorded is left alone, so re-importing a workbook changes nothing.
Payees are matched to registry members by ID number; those that are not in the registry are
still imported, for the checks to flag (冒领 is a finding, not an input error).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from openpyxl import Workbook
from openpyxl.styles import Font

from fupin.engine.funds.money_format import (
    ALLOCATIONS,
    CARRYOVERS,
    DISBURSEMENTS,
    MONEY_TABLES,
    PAYMENTS,
)
from fupin.engine.funds.projects_format import ProjectRow, read_sheets
from fupin.engine.standard_format import Table
from fupin.engine.tables import Problem
from fupin.funds.models import Allocation, CarryOver, Disbursement, Payment, Project
from fupin.registry.models import Member, Region


@dataclass
class MoneyImport:
    file: str
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def committed(self) -> bool:
        return not self.problems


class _Checker:
    def __init__(self, label: str, sheets: dict[str, list[ProjectRow]]) -> None:
        self.label = label
        self.sheets = sheets
        self.problems: list[Problem] = []
        codes: set[str] = set()
        projects: set[str] = set()
        for rows in sheets.values():
            for r in rows:
                for name in ("county_code", "township_code", "village_code"):
                    if isinstance(r.values.get(name), str):
                        codes.add(str(r.values[name]))
                if r.values.get("project_code"):
                    projects.add(str(r.values["project_code"]))
        self.levels = dict(Region.objects.filter(code__in=codes).values_list("code", "level"))
        self.projects = dict(
            Project.objects.filter(code__in=projects).values_list("code", "county_id")
        )

    def problem(self, table: Table, row: int, name: str, value: object, message: str) -> None:
        where = f"{self.label}［{table.label}］"
        self.problems.append(Problem(where, row, table.field(name).label, str(value), message))

    def region(self, table: Table, r: ProjectRow, name: str, level: str, county: str = "") -> None:
        code = r.values.get(name)
        if not isinstance(code, str):
            return
        if self.levels.get(code) != level:
            what = {"县": "县", "乡": "乡镇", "村": "村"}[level]
            why = f"不是{what}级区划" if code in self.levels else "区划代码不在系统中"
            self.problem(table, r.row, name, code, why)
        elif county and code[:6] != county[:6]:
            self.problem(table, r.row, name, code, "不在所属县内")

    def project(self, table: Table, r: ProjectRow, county: str) -> None:
        code = r.values.get("project_code")
        if not code:
            return
        if code not in self.projects:
            self.problem(table, r.row, "project_code", code, "项目编号不在项目库中，请先导入项目库")
        elif county and self.projects[str(code)] != county:
            self.problem(table, r.row, "project_code", code, "项目不属于该县")


def import_money(path: Path) -> MoneyImport:
    """Check every sheet against the registry and each other, then write everything or nothing."""
    result = MoneyImport(path.name)
    sheets, problems = read_sheets(path, list(MONEY_TABLES), optional=True)
    result.problems.extend(problems)
    if not sheets and not problems:
        result.problems.append(
            Problem(
                path.name, 0, "", "", "没有可导入的工作表（资金下达、资金拨付、到户资金、结转结余）"
            )
        )
    if result.problems:
        return result
    check = _Checker(path.name, sheets)
    allocations = sheets.get(ALLOCATIONS.label, [])
    documents: dict[str, tuple[str, Decimal]] = {}  # 下达文号 → (county, amount)
    for r in allocations:
        county = str(r.values["county_code"])
        check.region(ALLOCATIONS, r, "county_code", "县")
        check.project(ALLOCATIONS, r, county)
        documents[str(r.values["document_number"])] = (county, Decimal(str(r.values["amount"])))
    known_documents = {
        doc: (county, amount)
        for doc, county, amount in Allocation.objects.exclude(document_number="").values_list(
            "document_number", "county_id", "amount"
        )
    }
    spent: dict[str, Decimal] = {}
    for r in sheets.get(DISBURSEMENTS.label, []):
        doc = str(r.values["document_number"])
        target = documents.get(doc) or known_documents.get(doc)
        if target is None:
            check.problem(
                DISBURSEMENTS,
                r.row,
                "document_number",
                doc,
                "下达文号在“资金下达”表和系统中都不存在",
            )
            continue
        county = target[0]
        check.region(DISBURSEMENTS, r, "township_code", "乡", county)
        check.project(DISBURSEMENTS, r, county)
        paid_on = r.values.get("township_paid_on")
        if isinstance(paid_on, dt.date) and paid_on < r.values["disbursed_on"]:  # type: ignore[operator]
            check.problem(DISBURSEMENTS, r.row, "township_paid_on", paid_on, "不能早于拨付日期")
        if paid_on is not None and r.values.get("township_code") is None:
            check.problem(
                DISBURSEMENTS,
                r.row,
                "township_paid_on",
                paid_on,
                "填写了乡镇拨出日期时应填写经由乡镇",
            )
        spent[doc] = spent.get(doc, Decimal(0)) + Decimal(str(r.values["amount"]))
    existing_vouchers = dict(
        Disbursement.objects.exclude(voucher="").values_list(
            "voucher", "allocation__document_number"
        )
    )
    for doc, total in spent.items():
        target = documents.get(doc) or known_documents.get(doc)
        already = sum(
            (
                d.amount
                for d in Disbursement.objects.filter(allocation__document_number=doc).exclude(
                    voucher__in=[
                        str(r.values["voucher"]) for r in sheets.get(DISBURSEMENTS.label, [])
                    ]
                )
            ),
            Decimal(0),
        )
        if target and total + already > target[1]:
            row = next(r for r in sheets[DISBURSEMENTS.label] if r.values["document_number"] == doc)
            check.problem(
                DISBURSEMENTS,
                row.row,
                "amount",
                row.values["amount"],
                f"文号{doc}累计拨付{total + already}元，超过下达金额{target[1]}元",
            )
    vouchers = {str(r.values["voucher"]) for r in sheets.get(DISBURSEMENTS.label, [])} | set(
        existing_vouchers
    )
    for r in sheets.get(PAYMENTS.label, []):
        county = str(r.values["county_code"])
        check.region(PAYMENTS, r, "county_code", "县")
        check.region(PAYMENTS, r, "village_code", "村", county)
        check.project(PAYMENTS, r, county)
        voucher = r.values.get("voucher")
        if voucher and str(voucher) not in vouchers:
            check.problem(
                PAYMENTS, r.row, "voucher", voucher, "拨付凭证号在“资金拨付”表和系统中都不存在"
            )
    for r in sheets.get(CARRYOVERS.label, []):
        check.region(CARRYOVERS, r, "county_code", "县")
    result.problems.extend(check.problems)
    if result.problems:
        return result
    with transaction.atomic():
        result.counts = _write(sheets)
    return result


def _write(sheets: dict[str, list[ProjectRow]]) -> dict[str, int]:
    counts = {t.label: 0 for t in MONEY_TABLES}
    projects = {p.code: p for p in Project.objects.filter(code__in=_project_codes(sheets))}
    for r in sheets.get(ALLOCATIONS.label, []):
        v = r.values
        Allocation.objects.update_or_create(
            county_id=v["county_code"],
            document_number=v["document_number"],
            defaults={
                "source": v["source"],
                "fund_year": v["fund_year"],
                "allocated_on": v["allocated_on"],
                "amount": v["amount"],
                "project": projects.get(str(v["project_code"] or "")),
            },
        )
        counts[ALLOCATIONS.label] += 1
    allocation_of = {a.document_number: a for a in Allocation.objects.exclude(document_number="")}
    for r in sheets.get(DISBURSEMENTS.label, []):
        v = r.values
        Disbursement.objects.update_or_create(
            voucher=v["voucher"],
            defaults={
                "allocation": allocation_of[str(v["document_number"])],
                "disbursed_on": v["disbursed_on"],
                "amount": v["amount"],
                "project": projects.get(str(v["project_code"] or "")),
                "township_id": v["township_code"],
                "township_paid_on": v["township_paid_on"],
                "payee": v["payee"] or "",
            },
        )
        counts[DISBURSEMENTS.label] += 1
    rows = sheets.get(PAYMENTS.label, [])
    members = {
        m.id_number: m
        for m in Member.objects.filter(
            id_number__in=[r.values["payee_id_number"] for r in rows]
        ).select_related("household")
    }
    disbursement_of = {d.voucher: d for d in Disbursement.objects.exclude(voucher="")}
    for r in rows:
        v = r.values
        member = members.get(str(v["payee_id_number"]))
        household = member.household if member else None
        fields: dict[str, Any] = {
            "county_id": v["county_code"],
            "kind": v["kind"],
            "fund_year": v["fund_year"],
            "payee_name": v["payee_name"],
            "payee_id_number": v["payee_id_number"],
            "amount": v["amount"],
            "paid_on": v["paid_on"],
        }
        if Payment.objects.filter(**fields).exists():
            continue  # already recorded: re-importing a workbook changes nothing
        Payment.objects.create(
            **fields,
            member=member,
            household=household,
            village_id=v["village_code"] or (household.region_id if household else None),
            disbursement=disbursement_of.get(str(v["voucher"] or "")),
            project=projects.get(str(v["project_code"] or "")),
        )
        counts[PAYMENTS.label] += 1
    for r in sheets.get(CARRYOVERS.label, []):
        v = r.values
        CarryOver.objects.update_or_create(
            county_id=v["county_code"],
            source=v["source"],
            fund_year=v["fund_year"],
            as_of=v["as_of"],
            defaults={"amount": v["amount"]},
        )
        counts[CARRYOVERS.label] += 1
    return counts


def _project_codes(sheets: dict[str, list[ProjectRow]]) -> set[str]:
    return {
        str(r.values["project_code"])
        for rows in sheets.values()
        for r in rows
        if r.values.get("project_code")
    }


def export_money(path: Path, county_code: str) -> dict[str, int]:
    """The county's money as the import workbook (a blank 凭证号 or 文号 is given one, saved)."""
    wb = Workbook()
    wb.remove(wb.active)
    counts: dict[str, int] = {}

    def sheet(table: Table, rows: list[dict[str, Any]]) -> None:
        ws = wb.create_sheet(table.label)
        ws.append([f.label for f in table.fields])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([_cell(row.get(f.name)) for f in table.fields])
        for line in ws.iter_rows(min_row=2):
            for cell in line:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        counts[table.label] = len(rows)

    allocations = list(
        Allocation.objects.filter(county_id=county_code).select_related("project").order_by("id")
    )
    doc = {a.pk: a.document_number or f"XD{a.pk:08d}" for a in allocations}
    _name_blank(Allocation, "document_number", doc)
    sheet(
        ALLOCATIONS,
        [
            {
                "document_number": doc[a.pk],
                "county_code": a.county_id,
                "source": a.source,
                "fund_year": a.fund_year,
                "allocated_on": a.allocated_on,
                "amount": a.amount,
                "project_code": a.project.code if a.project else None,
            }
            for a in allocations
        ],
    )
    disbursements = list(
        Disbursement.objects.filter(allocation__county_id=county_code)
        .select_related("project")
        .order_by("id")
    )
    voucher = {d.pk: d.voucher or f"BF{d.pk:08d}" for d in disbursements}
    _name_blank(Disbursement, "voucher", voucher)
    sheet(
        DISBURSEMENTS,
        [
            {
                "voucher": voucher[d.pk],
                "document_number": doc[d.allocation_id],
                "disbursed_on": d.disbursed_on,
                "amount": d.amount,
                "project_code": d.project.code if d.project else None,
                "township_code": d.township_id,
                "township_paid_on": d.township_paid_on,
                "payee": d.payee or None,
            }
            for d in disbursements
        ],
    )
    sheet(
        PAYMENTS,
        [
            {
                "county_code": p.county_id,
                "kind": p.kind,
                "fund_year": p.fund_year,
                "payee_name": p.payee_name,
                "payee_id_number": p.payee_id_number,
                "amount": p.amount,
                "paid_on": p.paid_on,
                "voucher": voucher.get(p.disbursement_id) if p.disbursement_id else None,
                "project_code": p.project.code if p.project else None,
                "village_code": p.village_id,
            }
            for p in Payment.objects.filter(county_id=county_code)
            .select_related("project")
            .order_by("id")
        ],
    )
    sheet(
        CARRYOVERS,
        [
            {
                "county_code": c.county_id,
                "source": c.source,
                "fund_year": c.fund_year,
                "as_of": c.as_of,
                "amount": c.amount,
            }
            for c in CarryOver.objects.filter(county_id=county_code).order_by("fund_year", "source")
        ],
    )
    wb.save(path)
    return counts


def _name_blank(model: Any, field_name: str, names: dict[int, str]) -> None:
    """Rows entered without a 文号/凭证号 keep the one the export gave them, so the exported
    workbook imports back onto the same rows instead of adding them again."""
    for pk, name in names.items():
        model.objects.filter(pk=pk, **{field_name: ""}).update(**{field_name: name})


def _cell(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value

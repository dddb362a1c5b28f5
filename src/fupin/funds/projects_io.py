"""Project library XLSX import (validated, all or nothing) and export (openpyxl)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import Font

from fupin.engine.funds.projects_format import PROJECT_TABLE, SHEET, read_projects, split_list
from fupin.engine.tables import Problem
from fupin.funds.models import Project
from fupin.registry.models import Household, Region


@dataclass
class ProjectImport:
    file: str
    problems: list[Problem] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def committed(self) -> bool:
        return not self.problems


def import_projects(path: Path) -> ProjectImport:
    """Read, check against the registry, then write every row or none."""
    result = ProjectImport(path.name)
    rows, problems = read_projects(path)
    result.problems.extend(problems)
    if problems:
        return result
    label = path.name
    column = {f.name: f.label for f in PROJECT_TABLE.fields}
    region_codes: set[str] = set()
    household_ids: set[str] = set()
    for r in rows:
        for name in ("county_code", "village_code"):
            if isinstance(r.values[name], str):
                region_codes.add(r.values[name])  # type: ignore[arg-type]
        region_codes.update(split_list(r.values["beneficiary_villages"]))
        household_ids.update(split_list(r.values["beneficiary_households"]))
    levels = dict(Region.objects.filter(code__in=region_codes).values_list("code", "level"))
    households = dict(
        Household.objects.filter(household_id__in=household_ids).values_list(
            "household_id", "region_id"
        )
    )
    for r in rows:
        v = r.values
        county = str(v["county_code"])
        if levels.get(county) != "县":
            why = "不是县级区划" if county in levels else "不在系统中"
            result.problems.append(
                Problem(label, r.row, column["county_code"], county, f"区划代码{why}")
            )
        village = v["village_code"]
        if isinstance(village, str) and levels.get(village) != "村":
            why = "不是村级区划" if village in levels else "不在系统中"
            result.problems.append(
                Problem(label, r.row, column["village_code"], village, f"区划代码{why}")
            )
        for code in split_list(v["beneficiary_villages"]):
            if levels.get(code) != "村" or code[:6] != county[:6]:
                result.problems.append(
                    Problem(
                        label, r.row, column["beneficiary_villages"], code, "不是本县系统中的村"
                    )
                )
        for hid in split_list(v["beneficiary_households"]):
            if hid not in households:
                result.problems.append(
                    Problem(
                        label,
                        r.row,
                        column["beneficiary_households"],
                        hid,
                        "户编号不在建档立卡系统中",
                    )
                )
            elif households[hid][:6] != county[:6]:
                result.problems.append(
                    Problem(
                        label, r.row, column["beneficiary_households"], hid, "该户不在项目所在县"
                    )
                )
    if result.problems:
        return result
    with transaction.atomic():
        existing = set(
            Project.objects.filter(code__in=[r.values["code"] for r in rows]).values_list(
                "code", flat=True
            )
        )
        for r in rows:
            v = r.values
            fields = {
                "name": v["name"],
                "kind": v["kind"],
                "county_id": v["county_code"],
                "village_id": v["village_code"],
                "plan_year": v["plan_year"],
                "budget": v["budget"],
                "funding_sources": str(v["funding_sources"] or "").replace(";", "、"),
                "implementing_unit": v["implementing_unit"] or "",
                "tender_date": v["tender_date"],
                "procurement_method": v["procurement_method"] or "",
                "winning_bidder": v["winning_bidder"] or "",
                "approved_on": v["approved_on"],
                "started_on": v["started_on"],
                "completed_on": v["completed_on"],
                "accepted_on": v["accepted_on"],
                "status": v["status"],
            }
            project, _ = Project.objects.update_or_create(code=v["code"], defaults=fields)
            project.beneficiary_households.set(split_list(v["beneficiary_households"]))
            project.beneficiary_villages.set(split_list(v["beneficiary_villages"]))
            if v["code"] in existing:
                result.updated += 1
            else:
                result.created += 1
    return result


def _cell(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    return value


def export_projects(
    path: Path,
    region_code: str | None = None,
    year: int | None = None,
    *,
    projects: QuerySet[Project] | None = None,
) -> int:
    """The project library (of a region's counties, of a plan year) as the import workbook."""
    projects = (Project.objects.all() if projects is None else projects).select_related(
        "county", "village"
    )
    if region_code:
        projects = projects.within(region_code)
    if year:
        projects = projects.filter(plan_year=year)
    projects = projects.prefetch_related("beneficiary_households", "beneficiary_villages").order_by(
        "county_id", "plan_year", "code"
    )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append([f.label for f in PROJECT_TABLE.fields])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    count = 0
    for p in projects:
        values = {
            "code": p.code,
            "name": p.name,
            "kind": p.kind,
            "county_code": p.county_id,
            "village_code": p.village_id or None,
            "plan_year": p.plan_year,
            "budget": p.budget,
            "funding_sources": p.funding_sources or None,
            "beneficiary_households": "、".join(
                sorted(h.household_id for h in p.beneficiary_households.all())
            )
            or None,
            "beneficiary_villages": "、".join(sorted(r.code for r in p.beneficiary_villages.all()))
            or None,
            "implementing_unit": p.implementing_unit or None,
            "tender_date": p.tender_date,
            "procurement_method": p.procurement_method or None,
            "winning_bidder": p.winning_bidder or None,
            "approved_on": p.approved_on,
            "started_on": p.started_on,
            "completed_on": p.completed_on,
            "accepted_on": p.accepted_on,
            "status": p.status,
        }
        sheet.append([_cell(values[f.name]) for f in PROJECT_TABLE.fields])
        count += 1
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for index, f in enumerate(PROJECT_TABLE.fields, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(
            10, len(f.label) * 2 + 2
        )
    workbook.save(path)
    return count

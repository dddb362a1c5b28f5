"""Between the engine's files and the models: a plan workbook read into visits, visits written
back as survey rows (survey.csv of FORMAT.md), a stored plan's design as the engine's
PlanDesign. No validation of its own: survey rows go through the engine's `survey_from_rows`."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from fupin.engine.assessment.reports import SURVEY_SHEET, column_label, read_plan
from fupin.engine.assessment.survey import PLAN_REGISTERED_SCHEMA, PlanDesign, SurveyError
from fupin.engine.standard_format import SURVEY
from fupin.engine.tables import Problem

FINDINGS = (
    "people",
    "meets_exit_standard",
    "should_be_registered",
    "missed_people",
    "should_not_be_registered",
    "satisfied",
)
BOOLEAN_FINDINGS = (
    "meets_exit_standard",
    "should_be_registered",
    "should_not_be_registered",
    "satisfied",
)
SURVEY_FIELDS = SURVEY.field_names
LABELS = {name: SURVEY.field(name).label for name in SURVEY_FIELDS}
FIELD_OF_LABEL = {label: name for name, label in LABELS.items()} | {n: n for n in SURVEY_FIELDS}


@dataclass
class PlanFile:
    county_code: str
    snapshot: str
    design: dict[str, list[dict[str, Any]]]
    units: list[dict[str, Any]]  # one per household to visit, Visit fields


def read_plan_file(path: Path) -> PlanFile:
    """A plan workbook of `fupin sample`; raises SurveyError naming the file, row and column."""
    from python_calamine import CalamineWorkbook

    from fupin.engine.values import clean

    try:
        design = read_plan(path)
    except ValueError as exc:  # SurveyError, or a probability that is not a number
        if isinstance(exc, SurveyError):
            raise
        raise SurveyError(f"{path.name}：抽样方案中的入样概率无法读取（{exc}）") from None
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name(SURVEY_SHEET).to_python()
    header = [clean(h) for h in rows[0]]
    wanted = {
        "unit_id": column_label("unit_id"),
        "region_code": column_label("region_code"),
        "village_name": column_label("village_name"),
        "household_id": column_label("household_id"),
        "head_name": column_label("head_name"),
        "registered": column_label("registered"),
        "status_claimed": column_label("status_claimed"),
        "people": column_label("people"),
        "weak": column_label("weak"),
        "weight": column_label("weight"),
        "stratum": column_label("stratum"),
        "cluster": column_label("cluster"),
    }
    label = f"{path.name}[{SURVEY_SHEET}]"
    missing = [v for v in wanted.values() if v not in header]
    if missing:
        raise SurveyError(f"{label} 第1行：不是抽样方案，缺少列：{'、'.join(missing)}")
    index = {k: header.index(v) for k, v in wanted.items()}
    units: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for number, raw in enumerate(rows[1:], start=2):
        cells = {k: clean(raw[i]) if i < len(raw) else "" for k, i in index.items()}
        if not any(cells.values()):
            continue
        code = cells["region_code"]
        if not (code.isdigit() and len(code) == 12):
            problems.append(Problem(label, number, wanted["region_code"], code, "应为12位区划代码"))
        if cells["registered"] not in ("是", "否"):
            problems.append(
                Problem(label, number, wanted["registered"], cells["registered"], "应为“是”或“否”")
            )
        people = cells["people"]
        weight = cells["weight"]
        try:
            people_n = int(float(people)) if people else None
            weight_f = float(weight) if weight else None
        except ValueError:
            problems.append(Problem(label, number, wanted["people"], people, "应为数字"))
            continue
        units.append(
            {
                "position": number - 1,
                "unit_id": cells["unit_id"] or f"{code}-{number}",
                "region_code": code,
                "village_name": cells["village_name"],
                "household_id": cells["household_id"],
                "head_name": cells["head_name"],
                "registered": cells["registered"] == "是",
                "status_claimed": cells["status_claimed"],
                "people": people_n,
                "weak": cells["weak"],
                "weight": weight_f,
                "stratum": cells["stratum"],
                "cluster": cells["cluster"],
            }
        )
    if problems:
        raise SurveyError(f"{label}：抽样方案有{len(problems)}处问题，未导入", problems)
    if not units:
        raise SurveyError(f"{label}：抽样方案中没有调查户")
    counties = {u["region_code"][:6] for u in units}
    if len(counties) != 1:
        raise SurveyError(
            f"{label}：一个抽样方案只能属于一个县，表中有{'、'.join(sorted(counties))}"
        )
    about: dict[str, str] = {}
    if "抽样说明" in book.sheet_names:
        for r in book.get_sheet_by_name("抽样说明").to_python():
            if len(r) >= 2:
                about[clean(r[0])] = clean(r[1])
    return PlanFile(
        county_code=counties.pop() + "000000",
        snapshot=about.get("数据快照", ""),
        design={
            "registered": design.registered.to_dicts(),
            "villages": design.villages.to_dicts(),
        },
        units=units,
    )


def plan_design(design: dict[str, list[dict[str, Any]]], source: str) -> PlanDesign:
    """The stored design as the engine's PlanDesign (same schema as read_plan gives)."""
    registered = pl.DataFrame(
        design.get("registered", []),
        schema=PLAN_REGISTERED_SCHEMA,
    )
    villages = pl.DataFrame(
        design.get("villages", []),
        schema={
            "code": pl.Utf8,
            "stratum": pl.Utf8,
            "village_prob": pl.Float64,
            "nonreg_households": pl.Int64,
        },
    )
    return PlanDesign(registered, villages, source)


def cell(value: Any) -> str:
    """A value as survey.csv writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else repr(value)
    return str(value)


def survey_row(visit: Any, **changes: Any) -> dict[str, str]:
    """A visit as one survey row keyed by the Chinese labels, so that the engine's problems
    name the columns as the assessor sees them. `changes` override the visit's findings."""
    values = {name: getattr(visit, name, None) for name in SURVEY_FIELDS}
    values["household_id"] = visit.household_id or None
    values["status_claimed"] = visit.status_claimed or None
    values["stratum"] = visit.stratum or None
    values["cluster"] = visit.cluster or None
    values.update(changes)
    return {LABELS[name]: cell(values[name]) for name in SURVEY_FIELDS}


def survey_csv(rows: list[dict[str, str]]) -> str:
    """survey.csv (FORMAT.md) with the English field names as header."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SURVEY_FIELDS)
    for r in rows:
        writer.writerow([r[LABELS[name]] for name in SURVEY_FIELDS])
    return out.getvalue()

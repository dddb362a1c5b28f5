"""Changes to plans and findings: each atomic, by an acting user, written to the audit log.

Every finding, entered on a page or imported from a sheet, is checked by the engine's survey
rules (`survey_from_rows` / `read_survey`) and against the plan (`apply_plan`): the site has no
validator of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from fupin.assessment import plans
from fupin.assessment.models import Plan, Visit
from fupin.engine.assessment.survey import SurveyError, apply_plan, read_survey, survey_from_rows
from fupin.engine.tables import Problem
from fupin.web.models import AuditLog

WEB_SOURCE = "网页录入"


def _audit(user: Any, action: str, target: str, detail: str) -> None:
    AuditLog.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        username=user.get_username() if getattr(user, "is_authenticated", False) else "",
        action=action,
        target=target[:200],
        detail=detail,
    )


def do_upload_plan(path: Path, *, acting_user: Any, name: str, policy: str) -> Plan:
    """Store a plan workbook and one visit per household to visit; SurveyError otherwise."""
    found = plans.read_plan_file(path)
    with transaction.atomic():
        plan = Plan.objects.create(
            county_code=found.county_code,
            name=name or path.name,
            policy=policy,
            uploaded_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
            design=found.design,
            snapshot=found.snapshot,
        )
        Visit.objects.bulk_create(Visit(plan=plan, **u) for u in found.units)
        _audit(
            acting_user,
            "上传抽样方案",
            f"assessment.plan:{plan.pk}",
            f"{plan.name}，县 {plan.county_code}，{len(found.units)}户",
        )
    return plan


def check_finding(visit: Visit, cells: dict[str, str]) -> dict[str, Any]:
    """The visit with `cells` (field name → text as typed on the form) as one survey row
    through the engine's rules and the plan. Returns the typed findings; raises SurveyError
    whose problems name the columns in Chinese."""
    row = plans.survey_row(visit, **cells)
    survey = survey_from_rows([row], source=WEB_SOURCE)
    apply_plan(survey, plans.plan_design(visit.plan.design, visit.plan.name))
    typed = survey.rows.row(0, named=True)
    return {name: typed[name] for name in plans.FINDINGS}


def do_record_finding(visit: Visit, cells: dict[str, str], *, acting_user: Any) -> Visit:
    values = check_finding(visit, cells)
    with transaction.atomic():
        for name, value in values.items():
            setattr(visit, name, value)
        visit.visited_at = timezone.now()
        visit.visited_by = acting_user
        visit.save()
        _audit(
            acting_user,
            "录入调查结果",
            f"assessment.visit:{visit.pk}",
            "；".join(f"{plans.LABELS[k]}={plans.cell(v)}" for k, v in values.items()),
        )
    return visit


def do_import_survey(plan: Plan, path: Path, *, acting_user: Any) -> int:
    """Replace the plan's findings with those of a survey sheet (survey.csv, or a workbook with
    a `survey` sheet such as the filled-in plan); all or nothing. Registered households are
    found by 户编号; the non-registered households of a village take the village's places
    for non-registered households in the plan's order. Returns the households imported."""
    survey = read_survey(path)
    apply_plan(survey, plans.plan_design(plan.design, plan.name))
    visits = list(plan.visits.all())
    by_household = {v.household_id: v for v in visits if v.registered and v.household_id}
    places: dict[str, list[Visit]] = {}
    for v in visits:
        if not v.registered:
            places.setdefault(v.region_code, []).append(v)
    problems: list[Problem] = []
    assigned: list[tuple[Visit, dict[str, Any]]] = []
    for r in survey.rows.iter_rows(named=True):
        visit: Visit | None
        if r["registered"]:
            visit = by_household.get(r["household_id"])
        else:
            free = places.get(r["region_code"], [])
            visit = free.pop(0) if free else None
            if visit is None:
                n = sum(1 for v in visits if not v.registered and v.region_code == r["region_code"])
                problems.append(
                    Problem(
                        survey.source,
                        r["row"],
                        plans.LABELS["region_code"],
                        r["region_code"],
                        f"该村在抽样方案中只有{n}户非建档立卡户的调查名额",
                    )
                )
                continue
        if visit is None:  # apply_plan has refused households outside the plan already
            continue
        values = {name: r[name] for name in plans.FINDINGS}
        values["status_claimed"] = r["status_claimed"] or visit.status_claimed
        if not visit.registered:
            values["household_id"] = r["household_id"] or ""
        assigned.append((visit, values))
    if problems:
        raise SurveyError(f"{survey.source}：调查结果与抽样方案的调查名额不符，未导入", problems)
    now = timezone.now()
    with transaction.atomic():
        plan.visits.filter(registered=False).update(people=None, household_id="")
        plan.visits.update(
            meets_exit_standard=None,
            should_be_registered=None,
            missed_people=None,
            should_not_be_registered=None,
            satisfied=None,
            visited_at=None,
            visited_by=None,
        )
        for visit, values in assigned:
            for name, value in values.items():
                setattr(visit, name, value)
            visit.visited_at = now
            visit.visited_by = acting_user
            visit.save()
        _audit(
            acting_user,
            "导入调查结果",
            f"assessment.plan:{plan.pk}",
            f"{survey.source}，{len(assigned)}户，替换此前录入的结果",
        )
    return len(assigned)

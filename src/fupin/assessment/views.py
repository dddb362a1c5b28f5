"""The assessors' pages. Every plan is reached through `plan_or_404`, which is where region
scoping lives: a plan belongs to a county, and a user sees it only when that county is in the
user's subtree (404 otherwise, as for households)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fupin.assessment import actions, plans, results
from fupin.assessment.models import Plan, Visit
from fupin.engine.assessment.decisions import POLICIES_DIR, AssessmentPolicyError
from fupin.engine.assessment.estimation import INDICATOR_NAMES, LEVEL_NAMES
from fupin.engine.assessment.reports import decision_rows
from fupin.engine.assessment.survey import SurveyError
from fupin.registry import regions
from fupin.web import access

PERMISSION = "assessment"
UPLOAD_LIMIT = 20 * 1024 * 1024


def scoped_plans(user: Any) -> QuerySet[Plan]:
    scope = access.user_region(user)
    if scope is None:
        return Plan.objects.none()
    if scope == access.ALL:
        return Plan.objects.all()
    low, high = regions.subtree_range(scope)
    return Plan.objects.filter(county_code__gte=low, county_code__lte=high)


def plan_or_404(user: Any, pk: int) -> Plan:
    plan = Plan.objects.filter(pk=pk).first()
    if plan is None or not access.in_scope(user, plan.county_code):
        raise Http404("没有这个抽样方案，或不在您的管辖范围内")
    return plan


def visit_or_404(plan: Plan, pk: int) -> Visit:
    visit = plan.visits.filter(pk=pk).first()
    if visit is None:
        raise Http404("抽样方案中没有这一户")
    return visit


def _policies() -> list[str]:
    return sorted(p.stem for p in POLICIES_DIR.glob("assessment-*.yaml"))


def _saved_upload(upload: Any, folder: str) -> Path:
    """The uploaded file under its own name, so that errors name the file the user chose."""
    name = Path(upload.name or "upload").name or "upload"
    path = Path(folder) / name
    with path.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return path


def _problem_rows(exc: SurveyError) -> list[dict[str, Any]]:
    return [
        {"file": p.file, "row": p.row, "column": p.column, "value": p.value, "message": p.message}
        for p in exc.problems
    ]


def _plans_page(request: HttpRequest, **extra: Any) -> HttpResponse:
    qs = scoped_plans(request.user).annotate(
        n=Count("visits"), done=Count("visits", filter=Q(visits__visited_at__isnull=False))
    )
    context = {"plans": qs, "policies": _policies(), **extra}
    return render(request, "assessment/plans.html", context, status=extra.get("status", 200))


@access.permission_required(PERMISSION)
def plan_list(request: HttpRequest) -> HttpResponse:
    return _plans_page(request)


@require_POST
@access.permission_required(PERMISSION)
def plan_upload(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    policy = request.POST.get("policy", "") or "assessment-yunnan-2017"
    if upload is None:
        return _plans_page(
            request, error="请选择抽样方案文件（fupin sample 生成的 XLSX）", status=400
        )
    if policy not in _policies():
        return _plans_page(request, error=f"没有评估策略“{policy}”", status=400)
    if upload.size > UPLOAD_LIMIT:
        return _plans_page(request, error="文件超过20MB", status=400)
    with tempfile.TemporaryDirectory() as folder:
        path = _saved_upload(upload, folder)
        try:
            found = plans.read_plan_file(path)
        except SurveyError as exc:
            return _plans_page(
                request, error=str(exc.args[0]), problems=_problem_rows(exc), status=400
            )
        if not access.in_scope(request.user, found.county_code):
            return _plans_page(
                request,
                error=f"{path.name}：抽样方案属于县 {found.county_code}，不在您的管辖范围内",
                status=403,
            )
        plan = actions.do_upload_plan(
            path, acting_user=request.user, name=request.POST.get("name", "").strip(), policy=policy
        )
    messages.success(request, f"已上传抽样方案“{plan.name}”，共{plan.visits.count()}户待调查")
    return redirect("assessment:plan", pk=plan.pk)


def _progress(plan: Plan) -> dict[str, Any]:
    villages = (
        plan.visits.values("region_code", "village_name")
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=Q(visited_at__isnull=False)),
            registered=Count("pk", filter=Q(registered=True)),
        )
        .order_by("region_code")
    )
    total = sum(v["n"] for v in villages)
    done = sum(v["done"] for v in villages)
    return {
        "villages": list(villages),
        "total": total,
        "done": done,
        "percent": round(100 * done / total) if total else 0,
    }


def _plan_page(request: HttpRequest, plan: Plan, **extra: Any) -> HttpResponse:
    visits = plan.visits.all()
    village = request.GET.get("village", "")
    if village.isdigit():
        visits = visits.filter(region_code=village)
    context = {
        "plan": plan,
        "progress": _progress(plan),
        "visits": visits,
        "village": village,
        **extra,
    }
    return render(request, "assessment/plan.html", context, status=extra.get("status", 200))


@access.permission_required(PERMISSION)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_page(request, plan_or_404(request.user, pk))


@require_POST
@access.permission_required(PERMISSION)
def survey_upload(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_or_404(request.user, pk)
    upload = request.FILES.get("file")
    if upload is None:
        return _plan_page(
            request,
            plan,
            error="请选择调查结果文件（survey.csv 或填好的抽样方案 XLSX）",
            status=400,
        )
    if upload.size > UPLOAD_LIMIT:
        return _plan_page(request, plan, error="文件超过20MB", status=400)
    with tempfile.TemporaryDirectory() as folder:
        path = _saved_upload(upload, folder)
        try:
            n = actions.do_import_survey(plan, path, acting_user=request.user)
        except SurveyError as exc:
            return _plan_page(
                request, plan, error=str(exc.args[0]), problems=_problem_rows(exc), status=400
            )
    messages.success(request, f"已导入{n}户调查结果（替换此前录入的结果）")
    return redirect("assessment:plan", pk=plan.pk)


FORM_FIELDS = (
    ("people", "家庭人口", "int", "实际居住的家庭人口"),
    ("meets_exit_standard", "达到脱贫标准", "bool", "建档立卡户：收入稳定超过标准且两不愁三保障"),
    ("should_be_registered", "应纳未纳", "bool", "非建档立卡户：符合识别标准却未纳入"),
    ("missed_people", "漏评人口", "int", "符合识别标准而未纳入的人数（整户或漏登成员）"),
    ("should_not_be_registered", "不应纳入", "bool", "建档立卡户：不符合识别标准（错评）"),
    ("satisfied", "认可", "bool", "对识别、退出和帮扶工作是否认可"),
)


def _form_cells(visit: Visit) -> dict[str, str]:
    return {name: plans.cell(getattr(visit, name)) for name, *_ in FORM_FIELDS}


def _next_visit(plan: Plan, visit: Visit) -> Visit | None:
    todo = plan.visits.filter(visited_at__isnull=True)
    return todo.filter(position__gt=visit.position).first() or todo.exclude(pk=visit.pk).first()


@access.permission_required(PERMISSION)
def visit_edit(request: HttpRequest, pk: int, visit_pk: int) -> HttpResponse:
    plan = plan_or_404(request.user, pk)
    visit = visit_or_404(plan, visit_pk)
    cells = _form_cells(visit)
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    status = 200
    if request.method == "POST":
        # a field left out of the request keeps its value (the plan's people of a household)
        cells = {name: request.POST.get(name, cells[name]).strip() for name, *_ in FORM_FIELDS}
        if not any(cells[name] for name, *_ in FORM_FIELDS if name != "people"):
            general.append("请至少填写一项调查结果")
        else:
            try:
                actions.do_record_finding(visit, cells, acting_user=request.user)
            except SurveyError as exc:
                for p in exc.problems:
                    name = plans.FIELD_OF_LABEL.get(p.column, "")
                    if name in cells:
                        errors.setdefault(name, []).append(p.message)
                    else:
                        general.append(str(p))
                if not exc.problems:
                    general.append(str(exc.args[0]))
            else:
                messages.success(request, f"已保存 {visit.unit_id} 的调查结果")
                after = _next_visit(plan, visit)
                if after is not None and "next" in request.POST:
                    return redirect("assessment:visit", pk=plan.pk, visit_pk=after.pk)
                return redirect("assessment:plan", pk=plan.pk)
        status = 400
    fields = [
        {
            "name": name,
            "label": label,
            "kind": kind,
            "help": help_text,
            "value": cells[name],
            "errors": errors.get(name, []),
        }
        for name, label, kind, help_text in FORM_FIELDS
    ]
    context = {"plan": plan, "visit": visit, "fields": fields, "general": general}
    return render(request, "assessment/visit.html", context, status=status)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.2f}%"


@access.permission_required(PERMISSION)
def plan_rates(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_or_404(request.user, pk)
    try:
        found = results.plan_results(plan)
    except AssessmentPolicyError as exc:
        return _plan_page(request, plan, error=str(exc), status=500)
    rates: list[dict[str, Any]] = []
    decisions: list[dict[str, str]] = []
    verdicts: list[dict[str, str]] = []
    if found.assessment is not None:
        est = found.assessment.estimates
        for r in est.rates:
            rates.append(
                {
                    "region": r.region_code,
                    "level": LEVEL_NAMES.get(r.level, r.level),
                    "indicator": r.indicator,
                    "name": INDICATOR_NAMES[r.indicator],
                    "estimate": _percent(r.estimate),
                    "ci": f"{_percent(r.ci_low)} – {_percent(r.ci_high)}",
                    "deff": "" if r.design_effect is None else f"{r.design_effect:.2f}",
                    "n": r.n_households,
                    "method": r.ci_method,
                    "definition": est.definitions.get(r.indicator, ""),
                }
            )
        decisions = decision_rows(found.policy, found.assessment.decisions)
        verdicts = [
            {"region": d.region_code, "verdict": d.verdict, "reasons": "；".join(d.reasons)}
            for d in found.assessment.decisions
        ]
    context = {
        "plan": plan,
        "progress": _progress(plan),
        "found": found,
        "rates": rates,
        "decisions": decisions,
        "verdicts": verdicts,
        "notes": found.assessment.estimates.notes if found.assessment else [],
    }
    return render(request, "assessment/rates.html", context)


@access.permission_required(PERMISSION)
def survey_download(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_or_404(request.user, pk)
    text = plans.survey_csv(results.survey_rows(plan))
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="survey-{plan.county_code}-{plan.pk}.csv"'
    )
    from fupin.web import audit

    audit.log(request, "导出调查结果", f"assessment.plan:{plan.pk}", "survey.csv")
    return response


# The files of `fupin assess --out`, each written by the engine's own writer (outputs.py):
# URL name → (content type, Chinese title of the download)
RESULT_FILES = {
    "rates.csv": ("text/csv; charset=utf-8", "三率一度"),
    "decisions.csv": ("text/csv; charset=utf-8", "退出判定"),
    "report.xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "评估结果",
    ),
    "report.pdf": ("application/pdf", "评估报告"),
}


def _county_name(code: str) -> str:
    from fupin.registry.models import Region

    region = Region.objects.filter(code=code).first()
    return region.name if region is not None else code


def attachment(ascii_name: str, name: str) -> str:
    """Content-Disposition with the Chinese name as RFC 5987 filename* and an ASCII fallback
    for clients that do not read it."""
    from urllib.parse import quote

    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@access.permission_required(PERMISSION)
def result_download(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """rates.csv, decisions.csv, report.xlsx or report.pdf of the plan's current findings, on
    the snapshot and policy of the rates page."""
    plan = plan_or_404(request.user, pk)
    if name not in RESULT_FILES:
        raise Http404("没有这个评估结果文件")
    try:
        found = results.plan_results(plan)
    except AssessmentPolicyError as exc:
        return _plan_page(request, plan, error=str(exc), status=500)
    if found.assessment is None:
        messages.error(request, f"无法生成 {name}：{found.error}")
        return redirect("assessment:rates", pk=plan.pk)
    from fupin.engine.assessment.outputs import write_output

    report = results.plan_report(found, plan)
    with tempfile.TemporaryDirectory() as folder:
        content = write_output(report, name, Path(folder) / name).read_bytes()
    kind, title = RESULT_FILES[name]
    stem, suffix = name.rsplit(".", 1)
    day = timezone.localdate().isoformat()
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = attachment(
        f"{stem}-{plan.county_code[:6]}-{day}.{suffix}",
        f"{title}-{_county_name(plan.county_code)}-{day}.{suffix}",
    )
    from fupin.web import audit

    audit.log(request, "导出评估结果", f"assessment.plan:{plan.pk}", name)
    return response

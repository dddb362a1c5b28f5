"""Pages of 返贫监测 under /monitoring/: thin views over `actions` and `figures`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fupin.engine.standard_format import MEASURE_KINDS
from fupin.monitoring import actions, data, figures
from fupin.monitoring.access import (
    ACT,
    APPROVE,
    VIEW,
    can,
    in_scope,
    permission_required,
    user_scope,
)
from fupin.monitoring.access import require_in_scope as _require_in_scope
from fupin.monitoring.models import REPORT_RISK_TYPES, SOURCES, Case
from fupin.registry.models import Household, Region


def _scope(request: HttpRequest) -> str:
    """The region asked for (?region=) if within the user's scope, else the user's region."""
    scope = user_scope(request.user) or ""
    asked = request.GET.get("region", "").strip()
    if asked:
        _require_in_scope(request.user, asked)
        return asked
    return scope


def _date(value: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise actions.MonitoringError(f"{label}应为 YYYY-MM-DD 格式的日期") from None


def _case_or_404(request: HttpRequest, case_id: int) -> Case:
    case = (
        Case.objects.select_related("household", "edge", "region", "helper")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404("没有这个监测对象")
    _require_in_scope(request.user, case.region_id)
    return case


@permission_required(VIEW)
def index(request: HttpRequest) -> HttpResponse:
    code = _scope(request)
    today = data.today()
    cases = Case.objects.within(code).select_related("household", "edge", "region", "helper")
    actions.sync_returns(cases)
    state = request.GET.get("state", "")
    if state:
        cases = cases.filter(state=state)
    region = Region.objects.filter(code=code).first() if code else None
    return render(
        request,
        "monitoring/index.html",
        {
            "code": code,
            "region": region,
            "region_name": figures.region_name(code),
            "rates": figures.monitoring_rates(code),
            "children": figures.children_rates(region) if region else [],
            "cases": cases[:500],
            "states": Case.STATES,
            "state": state,
            "today": today,
            "can_act": can(request.user, ACT),
            "policy": data.policy(),
        },
    )


@require_POST
@permission_required(ACT)
def scan(request: HttpRequest) -> HttpResponse:
    code = _scope(request)
    result = actions.do_scan_registry(code, acting_user=request.user)
    messages.success(
        request,
        f"规则筛查完成：命中{result.hits}条，新增监测对象{len(result.new_cases)}户、"
        f"新增风险{result.new_risks}条，已在监测中跳过{result.skipped}条。",
    )
    return redirect(f"/monitoring/?region={code}" if code else "/monitoring/")


@require_POST
@permission_required(ACT)
def from_comparison(request: HttpRequest) -> HttpResponse:
    """Risks from the latest comparison run (department data): 比对发现."""
    code = _scope(request)
    target = f"/monitoring/?region={code}" if code else "/monitoring/"
    from django.apps import apps

    if not apps.is_installed("fupin.comparison"):
        messages.error(request, "未安装部门数据比对模块")
        return redirect(target)
    run = apps.get_model("comparison", "ComparisonRun").objects.first()
    if run is None:
        messages.error(request, "还没有部门数据比对结果，请先运行 fupin compare --store")
        return redirect(target)
    result = actions.do_import_comparison_findings(run, acting_user=request.user, region_code=code)
    messages.success(
        request,
        f"比对发现（{run}）：相关{result.hits}条，新增监测对象{len(result.new_cases)}户、"
        f"新增风险{result.new_risks}条，跳过{result.skipped}条（非已脱贫户或已在监测）。",
    )
    return redirect(target)


def _risk_types() -> list[str]:
    return list(dict.fromkeys([*data.policy().risk_types, *REPORT_RISK_TYPES]))


@permission_required(ACT)
def report(request: HttpRequest) -> HttpResponse:
    """Report a risk of a registered household (by 户编号) or of a 边缘户."""
    errors: list[str] = []
    if request.method == "POST":
        post = request.POST
        try:
            detected_on = _date(post.get("detected_on", ""), "发现日期")
            if post.get("kind") == "edge":
                code = post.get("region_code", "").strip()
                _require_in_scope(request.user, code)
                region = Region.objects.filter(code=code).first()
                if region is None:
                    raise actions.MonitoringError(f"区划代码{code}不存在")
                income = post.get("per_capita_income", "").strip()
                try:
                    per_capita = Decimal(income) if income else None
                except InvalidOperation:
                    raise actions.MonitoringError("人均纯收入应为数字") from None
                case = actions.do_report_edge_household(
                    region=region,
                    head_name=post.get("head_name", ""),
                    id_number=post.get("id_number", "").strip().upper(),
                    phone=post.get("phone", "").strip(),
                    people=int(post.get("people") or 1),
                    per_capita_income=per_capita,
                    situation=post.get("detail", ""),
                    risk_type=post.get("risk_type", ""),
                    source=post.get("source", ""),
                    detected_on=detected_on,
                    acting_user=request.user,
                )
            else:
                hid = post.get("household_id", "").strip()
                household = Household.objects.filter(household_id=hid).first()
                if household is None or not in_scope(request.user, household.region_id):
                    raise actions.MonitoringError(f"没有户编号为“{hid}”的户，或不在您的管辖范围内")
                case = actions.do_report_risk(
                    household,
                    risk_type=post.get("risk_type", ""),
                    source=post.get("source", ""),
                    detail=post.get("detail", ""),
                    detected_on=detected_on,
                    acting_user=request.user,
                )
        except (actions.MonitoringError, ValueError) as error:
            errors.append(str(error))
        else:
            messages.success(request, "已列为监测对象，请在期限内入户核实。")
            return redirect("monitoring:case", case_id=case.pk)
    return render(
        request,
        "monitoring/report.html",
        {
            "errors": errors,
            "risk_types": _risk_types(),
            "sources": SOURCES,
            "today": data.today(),
            "post": request.POST,
        },
    )


@permission_required(VIEW)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    stability = figures.stability_for_household(case.household) if case.household_id else None
    return render(
        request,
        "monitoring/case.html",
        {
            "case": case,
            "risks": case.risks.all(),
            "visits": case.visits.all(),
            "measures": case.measures.all(),
            "events": case.events.select_related("user"),
            "stability": stability,
            "measure_kinds": MEASURE_KINDS,
            "today": data.today(),
            "can_act": can(request.user, ACT),
            "can_approve": can(request.user, APPROVE),
        },
    )


def _step(request: HttpRequest, case_id: int, run) -> HttpResponse:
    case = _case_or_404(request, case_id)
    try:
        run(case, request.POST)
    except (actions.MonitoringError, ValueError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "已保存。")
    return redirect("monitoring:case", case_id=case.pk)


@require_POST
@permission_required(ACT)
def verify(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request,
        case_id,
        lambda case, post: actions.do_verify(
            case,
            confirmed=post.get("confirmed") == "1",
            visited_on=_date(post.get("visited_on", ""), "走访日期"),
            visitor=post.get("visitor", ""),
            findings=post.get("findings", ""),
            acting_user=request.user,
        ),
    )


@require_POST
@permission_required(ACT)
def measure(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request,
        case_id,
        lambda case, post: actions.do_assign_measure(
            case,
            kind=post.get("kind", ""),
            description=post.get("description", ""),
            amount=post.get("amount", ""),
            assigned_on=_date(post.get("assigned_on", ""), "落实日期"),
            acting_user=request.user,
        ),
    )


@require_POST
@permission_required(ACT)
def follow_up(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request,
        case_id,
        lambda case, post: actions.do_follow_up(
            case,
            visited_on=_date(post.get("visited_on", ""), "走访日期"),
            visitor=post.get("visitor", ""),
            findings=post.get("findings", ""),
            acting_user=request.user,
        ),
    )


@require_POST
@permission_required(ACT)
def remove(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request,
        case_id,
        lambda case, post: actions.do_remove_risk(
            case,
            reason=post.get("reason", ""),
            closed_on=_date(post.get("closed_on", ""), "结案日期"),
            acting_user=request.user,
        ),
    )


@require_POST
@permission_required(ACT)
def request_return(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request,
        case_id,
        lambda case, post: actions.do_request_return(
            case, reason=post.get("reason", ""), acting_user=request.user
        ),
    )


@require_POST
@permission_required(APPROVE)
def decide_return(request: HttpRequest, case_id: int) -> HttpResponse:
    return _step(
        request,
        case_id,
        lambda case, post: actions.do_decide_return(
            case,
            approve=post.get("approve") == "1",
            note=post.get("note", ""),
            acting_user=request.user,
        ),
    )


@permission_required(VIEW)
def overdue(request: HttpRequest) -> HttpResponse:
    code = _scope(request)
    today = data.today()
    return render(
        request,
        "monitoring/overdue.html",
        {
            "code": code,
            "region_name": figures.region_name(code),
            "today": today,
            "cases": figures.overdue_cases(code, today),
            "by_helper": figures.overdue_by_helper(code, today),
            "by_township": figures.overdue_by_township(code, today),
        },
    )


@permission_required(VIEW)
def ranking(request: HttpRequest) -> HttpResponse:
    code = _scope(request)
    today = data.today()
    return render(
        request,
        "monitoring/ranking.html",
        {
            "code": code,
            "region_name": figures.region_name(code),
            "today": today,
            "rows": figures.follow_up_ranking(code, today),
        },
    )


@permission_required(VIEW)
def household_stability(request: HttpRequest, household_id: str) -> HttpResponse:
    household = Household.objects.filter(household_id=household_id).first()
    if household is None:
        raise Http404("没有这一户")
    _require_in_scope(request.user, household.region_id)
    return render(
        request,
        "monitoring/stability.html",
        {"household": household, "stability": figures.stability_for_household(household)},
    )

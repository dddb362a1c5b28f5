"""Ledger pages: thin views that parse, check access (fupin.governance.access) and call actions."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fupin.governance import actions, circulars, exports, procedure
from fupin.governance.access import access_by_id, scoped, user_organisations
from fupin.governance.models import CountyExit, Organisation, Problem, Task
from fupin.registry.regions import subtree_range


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _region_filter(qs: QuerySet, field: str, code: str) -> QuerySet:
    if not code.isdigit() or len(code) != 12:
        return qs
    low, high = subtree_range(code)
    return qs.filter(**{f"{field}__gte": low, f"{field}__lte": high})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The unit's home page: what it leads or co-operates on, what is late, and the warnings."""
    today = timezone.localdate()
    orgs = list(user_organisations(request.user))
    tasks = scoped(Task.objects.all(), request.user).filter(units__organisation__in=orgs).distinct()
    warnings = circulars.report_warnings(tasks, today)
    return render(
        request,
        "governance/home.html",
        {
            "orgs": orgs,
            "overdue": tasks.overdue(today).select_related("task_list")[:50],
            "due_soon": tasks.due_soon(today, 30).select_related("task_list")[:50],
            "warnings": warnings[:100],
            "open_problems": scoped(Problem.objects.open(), request.user)
            .filter(Q(lead_unit__in=orgs) | Q(responsible_units__in=orgs))
            .distinct()
            .count(),
        },
    )


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    qs = scoped(Task.objects.items(), request.user).select_related("task_list")
    f = request.GET
    if f.get("list"):
        qs = qs.filter(task_list__key=f["list"])
    if f.get("unit"):
        qs = qs.filter(units__organisation_id=f["unit"]).distinct()
    if f.get("region"):
        qs = _region_filter(qs, "region_code", f["region"])
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if _date(f.get("due_before")):
        qs = qs.filter(due__lte=_date(f["due_before"]))
    if _date(f.get("due_after")):
        qs = qs.filter(due__gte=_date(f["due_after"]))
    if f.get("late") == "1":
        qs = qs.overdue(timezone.localdate())
    page = Paginator(qs.order_by("task_list", "position"), 50).get_page(f.get("page"))
    return render(
        request,
        "governance/task_list.html",
        {
            "page": page,
            "units": scoped(
                Organisation.objects.filter(task_units__isnull=False).distinct(), request.user
            ),
            "statuses": Task.STATUSES,
            "filters": f,
            "today": timezone.localdate(),
        },
    )


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = access_by_id(Task.objects.select_related("task_list", "parent"), request.user, pk)
    own = set(user_organisations(request.user))
    mine = [
        u.organisation for u in task.units.select_related("organisation") if u.organisation in own
    ]
    return render(
        request,
        "governance/task_detail.html",
        {
            "task": task,
            "units": task.units.select_related("organisation"),
            "reports": task.reports.select_related("organisation", "submitted_by").prefetch_related(
                "attachments"
            ),
            "my_units": mine,
            "statuses": Task.STATUSES,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def task_report(request: HttpRequest, pk: int) -> HttpResponse:
    task = access_by_id(Task.objects.all(), request.user, pk)
    org = user_organisations(request.user).filter(pk=request.POST.get("organisation")).first()
    if org is None:
        messages.error(request, "请选择您所在的报送单位")
        return redirect("governance:task", pk=pk)
    files = [(f.name, f) for f in request.FILES.getlist("files")]
    try:
        actions.do_submit_progress_report(
            task,
            acting_user=request.user,
            organisation=org,
            period=request.POST.get("period", "").strip() or timezone.localdate().strftime("%Y-%m"),
            text=request.POST.get("text", ""),
            files=files,
        )
        if request.POST.get("status") in dict(Task.STATUSES):
            actions.do_set_task_status(task, request.POST["status"], acting_user=request.user)
    except actions.GovernanceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "进展已报送")
    return redirect("governance:task", pk=pk)


def _problems(request: HttpRequest) -> QuerySet[Problem]:
    qs = scoped(Problem.objects.all(), request.user).select_related("lead_unit", "plan")
    f = request.GET
    if f.get("unit"):
        qs = qs.filter(Q(lead_unit_id=f["unit"]) | Q(responsible_units__id=f["unit"])).distinct()
    if f.get("region"):
        qs = _region_filter(qs, "region_code", f["region"])
    if f.get("status") == "open":
        qs = qs.open()
    elif f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("source"):
        qs = qs.filter(source_kind=f["source"])
    if _date(f.get("due_before")):
        qs = qs.filter(due__lte=_date(f["due_before"]))
    return qs.order_by("plan", "position", "id")


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    qs = _problems(request)
    closed, total, rate = circulars.closing_rate(qs)
    return render(
        request,
        "governance/ledger.html",
        {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "filters": request.GET,
            "units": scoped(Organisation.objects.all(), request.user),
            "statuses": Problem.STATUSES,
            "closed": closed,
            "total": total,
            "rate": rate,
            "query": request.GET.urlencode(),
        },
    )


@login_required
def ledger_export(request: HttpRequest) -> FileResponse:
    qs = _problems(request)
    path = Path(tempfile.mkdtemp()) / "整改台账.xlsx"
    exports.write_ledger_xlsx(qs, path)
    return FileResponse(path.open("rb"), as_attachment=True, filename="整改台账.xlsx")


@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = access_by_id(Problem.objects.select_related("lead_unit", "plan"), request.user, pk)
    approvers = (
        get_user_model()
        .objects.filter(
            governance_memberships__role__in=["审核", "负责人"],
            governance_memberships__organisation__in=scoped(
                Organisation.objects.all(), request.user
            ),
        )
        .exclude(pk=request.user.pk)
        .distinct()
    )
    return render(
        request,
        "governance/problem_detail.html",
        {
            "problem": problem,
            "notes": problem.notes.select_related("author"),
            "evidence": problem.evidence.select_related("uploaded_by"),
            "measures": problem.measures.prefetch_related("units"),
            "approvers": approvers,
        },
    )


@login_required
@require_POST
def problem_action(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    problem = access_by_id(Problem.objects.all(), request.user, pk)
    p = request.POST
    try:
        if what == "note":
            actions.do_add_problem_note(problem, p.get("text", ""), acting_user=request.user)
        elif what == "evidence":
            upload = request.FILES.get("file")
            if upload is None:
                raise actions.GovernanceError("请选择佐证材料文件")
            actions.do_add_evidence(
                problem, upload.name, upload, p.get("description", ""), acting_user=request.user
            )
        elif what == "close":
            approver = get_user_model().objects.filter(pk=p.get("approver") or None).first()
            actions.do_close_problem(
                problem, acting_user=request.user, approver=approver, note=p.get("text", "")
            )
        elif what == "reopen":
            actions.do_reopen_problem(problem, p.get("text", ""), acting_user=request.user)
        else:
            raise actions.GovernanceError("未知操作")
    except actions.GovernanceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已保存")
    return redirect("governance:problem", pk=pk)


@login_required
def exit_list(request: HttpRequest) -> HttpResponse:
    qs = scoped(CountyExit.objects.all(), request.user).order_by("-year", "county_code")
    return render(request, "governance/exit_list.html", {"exits": qs})


@login_required
def exit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ce = access_by_id(CountyExit.objects.all(), request.user, pk)
    current = None if ce.outcome else procedure.load(ce.policy).step(ce.state)
    return render(
        request,
        "governance/exit_detail.html",
        {
            "exit": ce,
            "timeline": actions.exit_timeline(ce, timezone.localdate()),
            "current": current,
            "can_record": current is not None and actions.can_approve(request.user),
            "today": timezone.localdate(),
        },
    )


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@login_required
@require_POST
def exit_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the current step's decision; the policy's rules decide verification outcomes."""
    ce = access_by_id(CountyExit.objects.all(), request.user, pk)
    if not actions.can_approve(request.user):
        return HttpResponse("只有审核人或负责人可以录入退出环节", status=403)
    p = request.POST
    figures: dict[str, object] = {}
    for name in ("incidence", "wrong_exit_rate", "missed_rate", "recognition"):
        if _number(p.get(name)) is not None:
            figures[name] = _number(p.get(name))
    summary = request.FILES.get("summary")
    try:
        if summary is not None and "incidence" not in figures:
            path = Path(tempfile.mkdtemp()) / "summary.json"
            path.write_bytes(summary.read())
            figures["incidence"] = procedure.incidence_from_summary(path, ce.county_code)
            figures["incidence_source"] = summary.name
        if p.get("procedure_compliant") == "no":
            figures["procedure_compliant"] = False
        if p.get("materials_complete") == "no":
            figures["materials_complete"] = False
        documents = p.getlist("documents") + [
            d.strip() for d in p.get("other_documents", "").split("、") if d.strip()
        ]
        decided_on = _date(p.get("decided_on"))
        if decided_on is None:
            raise actions.GovernanceError("请填写决定日期")
        record = actions.do_record_exit_step(
            ce,
            acting_user=request.user,
            step=p.get("step", ""),
            decided_on=decided_on,
            deciding_body=p.get("deciding_body", ""),
            documents=documents,
            figures=figures,
            note=p.get("note", ""),
            files=[(f.name, f) for f in request.FILES.getlist("files")],
        )
    except (actions.GovernanceError, procedure.ProcedureError) as exc:
        messages.error(request, str(exc))
    else:
        level = messages.error if record.outcome == "rejected" else messages.success
        level(request, f"{record.step_name}：{record.get_outcome_display()}。{record.message}")
    return redirect("governance:exit", pk=pk)


@login_required
def circular(request: HttpRequest, fmt: str) -> FileResponse:
    """This month's circular for the user's region (or a unit of theirs), as XLSX or PDF."""
    month = request.GET.get("month") or timezone.localdate().strftime("%Y-%m")
    orgs = list(user_organisations(request.user))
    unit = next((o for o in orgs if str(o.pk) == request.GET.get("unit")), None)
    region = None if unit else (orgs[0].region_code if orgs else None)
    if region is None and unit is None and not request.user.is_superuser:
        return HttpResponse("您不属于任何单位，无法生成通报", status=403)  # type: ignore[return-value]
    try:
        c = circulars.build_circular(
            month,
            region_code=region,
            organisation=unit,
            scope_name=(unit.name if unit else (orgs[0].region_name if orgs else "")),
        )
    except ValueError as exc:
        return HttpResponse(str(exc), status=400)  # type: ignore[return-value]
    path = Path(tempfile.mkdtemp()) / f"通报.{fmt}"
    (circulars.write_pdf if fmt == "pdf" else circulars.write_xlsx)(c, path)
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{c.title}.{fmt}")

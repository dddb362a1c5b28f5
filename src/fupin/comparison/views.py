"""The findings of the latest (or a chosen) comparison run, scoped to the user's region."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from fupin.comparison.models import SOURCE_KIND, ComparisonRun, Finding
from fupin.registry import regions
from fupin.web import access
from fupin.web.masking import mask_id
from fupin.web.roles import PERMISSIONS

PAGE_SIZE = 50
EXPORT_COLUMNS = (
    ("finding_id", "问题类型"),
    ("finding_name", "问题名称"),
    ("severity", "严重程度"),
    ("household_id", "户编号"),
    ("id_number", "身份证号"),
    ("name", "姓名"),
    ("region_code", "区划代码"),
    ("roster", "部门数据"),
    ("match_method", "匹配方式"),
    ("match_probability", "匹配概率"),
    ("detail", "说明"),
    ("source", "依据"),
)


def _scoped(request: HttpRequest) -> tuple[ComparisonRun | None, QuerySet[Finding], dict[str, str]]:
    """The chosen run, its findings the user may see after the filters, and the filters."""
    runs = ComparisonRun.objects.all()
    run_id = request.GET.get("run", "")
    run = runs.filter(pk=run_id).first() if run_id.isdigit() else runs.first()
    if run is None:
        return None, Finding.objects.none(), {}
    qs = run.findings.all()
    scope = access.user_region(request.user)
    if scope is None:
        qs = qs.none()
    elif scope != access.ALL:
        low, high = regions.subtree_range(scope)
        qs = qs.filter(region_code__gte=low, region_code__lte=high)
    filters = {
        "region": request.GET.get("region", "").strip(),
        "finding": request.GET.get("finding", "").strip(),
        "kind": request.GET.get("kind", "").strip(),
    }
    if filters["region"].isdigit():
        low, high = regions.subtree_range(filters["region"].ljust(12, "0")[:12])
        qs = qs.filter(region_code__gte=low, region_code__lte=high)
    if filters["finding"]:
        qs = qs.filter(finding_id=filters["finding"])
    if filters["kind"] in ("finding", "check"):
        qs = qs.filter(kind=filters["kind"])
    return run, qs, filters


@access.permission_required("view_registry")
def finding_list(request: HttpRequest) -> HttpResponse:
    run, qs, filters = _scoped(request)
    counts = qs.values("finding_id", "finding_name").annotate(n=Count("pk")).order_by("finding_id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    linked = _linked_problems([f.pk for f in page.object_list])
    rows = [
        {
            "finding": f,
            "id_masked": mask_id(f.id_number) if len(f.id_number) == 18 else f.id_number,
            "problem": linked.get(str(f.pk)),
        }
        for f in page.object_list
    ]
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    if run is not None and request.GET.get("run"):
        query = f"run={run.pk}&{query}"
    user = request.user
    context = {
        "perms_": {p: access.can(user, p) for p in PERMISSIONS},
        "roles": access.user_roles(user),
        "run": run,
        "runs": ComparisonRun.objects.all()[:20],
        "page": page,
        "rows": rows,
        "counts": counts,
        "filters": filters,
        "query": query,
    }
    return render(request, "comparison/findings.html", context)


@access.permission_required("export")
def finding_export(request: HttpRequest) -> HttpResponse:
    run, qs, _ = _scoped(request)
    reveal = access.can(request.user, "reveal")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("比对发现")
    sheet.append([label for _, label in EXPORT_COLUMNS])
    for f in qs.iterator():
        row = []
        for name, _ in EXPORT_COLUMNS:
            value = getattr(f, name)
            if name == "id_number" and not reveal and len(value) == 18:
                value = mask_id(value)
            row.append(value)
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    stamp = run.as_of.strftime("%Y%m%d") if run else "empty"
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="comparison-findings-{stamp}.xlsx"'
    return response


def _linked_problems(pks: list[int]) -> dict[str, int]:
    """finding pk (as text) -> the pk of the rectification problem made from it."""
    from fupin.governance.models import Problem

    refs = [str(pk) for pk in pks]
    rows = Problem.objects.filter(source_kind=SOURCE_KIND, source_ref__in=refs)
    return {p.source_ref: p.pk for p in rows}


def finding_or_404(user, pk: int) -> Finding:
    """A finding the user may see (its region in the user's subtree), or 404."""
    finding = Finding.objects.filter(pk=pk).first()
    if finding is None or not access.in_scope(user, finding.region_code or "x"):
        raise Http404("没有这条发现，或不在您的管辖范围内")
    return finding


@require_POST
@access.permission_required("edit")
def finding_rectify(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn a finding into a problem of the rectification ledger (once)."""
    from fupin.governance.actions import do_register_problem

    finding = finding_or_404(request.user, pk)
    if _linked_problems([finding.pk]):
        messages.info(request, "这条发现已列入整改台账")
    else:
        who = "，".join(x for x in (finding.name, finding.household_id) if x)
        do_register_problem(
            acting_user=request.user,
            text=f"{finding.finding_name}（{who}）：{finding.detail}",
            source_kind=SOURCE_KIND,
            source_ref=str(finding.pk),
            region_code=finding.region_code,
        )
        messages.success(request, "已列入整改台账")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/comparison/"
    return redirect(target)

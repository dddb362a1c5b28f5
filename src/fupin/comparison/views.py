"""The findings of the latest (or a chosen) comparison run, scoped to the user's region."""

from __future__ import annotations

import io

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from openpyxl import Workbook

from fupin.comparison.models import ComparisonRun, Finding
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
    rows = [
        {"finding": f, "id_masked": mask_id(f.id_number) if len(f.id_number) == 18 else f.id_number}
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

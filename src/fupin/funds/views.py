"""Funds pages: county performance and findings (site roles, region-scoped through
fupin.web.access), printable notices, and the
public read-only notice page of a village (no login; names with masked ID numbers only)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from fupin.engine.funds import figures as f
from fupin.funds import notices, reports
from fupin.funds.models import Notice, Project
from fupin.registry import regions
from fupin.registry.models import Region
from fupin.web.access import in_scope, permission_required


def _region_or_404(request: HttpRequest, code: str, *levels: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if (
        region is None
        or (levels and region.level not in levels)
        or not in_scope(request.user, code)
    ):
        raise Http404("没有这个地区，或不在您的管辖范围内")
    return region


def _year(request: HttpRequest, default: int) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and len(raw) == 4 else default


def _default_year(county_code: str) -> int:
    latest = (
        Project.objects.filter(county_id=county_code)
        .order_by("-plan_year")
        .values_list("plan_year", flat=True)
        .first()
    )
    return latest or dt.date.today().year


@permission_required("view_figures")
def home(request: HttpRequest) -> HttpResponse:
    counties = [
        c
        for c in Region.objects.filter(level="县").order_by("code")
        if in_scope(request.user, c.code)
    ]
    return render(request, "funds/home.html", {"counties": counties})


@permission_required("view_figures")
def county(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_or_404(request, code, "县")
    year = _year(request, _default_year(code))
    figures = reports.fund_performance(code, year)
    low, high = regions.subtree_range(code)
    places = Region.objects.filter(code__gte=low, code__lte=high, level__in=("乡", "村")).order_by(
        "code"
    )
    return render(
        request,
        "funds/county.html",
        {
            "county": region,
            "year": year,
            "figures": figures,
            "percent": f.percent,
            "spend_rate": f.percent(figures["spend_rate"]),
            "acceptance_rate": f.percent(figures["acceptance_rate"]),
            "carryover": [
                dict(c, rate_text=f.percent(c["rate"]), limit_text=f.percent(c["limit"]))
                for c in figures["carryover"]
            ],
            "integration": {
                k: f.percent(v)
                for k, v in (figures["integration"] or {}).items()
                if k.endswith("_ratio")
            },
            "places": places,
        },
    )


def _xlsx(path: Path, name: str) -> FileResponse:
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@permission_required("export")
def ledger(request: HttpRequest, code: str) -> FileResponse:
    region = _region_or_404(request, code, "县")
    year = _year(request, 0) or None
    path = Path(tempfile.mkdtemp()) / "ledger.xlsx"
    reports.ledger_workbook(path, code, year)
    return _xlsx(path, f"{region.name}项目进度台账.xlsx")


@permission_required("export")
def performance(request: HttpRequest, code: str) -> FileResponse:
    region = _region_or_404(request, code, "县")
    year = _year(request, _default_year(code))
    path = Path(tempfile.mkdtemp()) / "performance.xlsx"
    reports.performance_workbook(path, reports.fund_performance(code, year))
    return _xlsx(path, f"{region.name}{year}年扶贫资金绩效评价表.xlsx")


@permission_required("export")
def notice_pdf(request: HttpRequest, code: str, year: int) -> HttpResponse:
    region = _region_or_404(request, code, "县", "乡", "村")
    content = notices.notice_content(region.code, year)
    response = HttpResponse(notices.notice_pdf(content), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{_quote(content.title)}.pdf"
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def public_village(request: HttpRequest, village_code: str) -> HttpResponse:
    """公开公示 of a village: only what its published notices show, no login."""
    village = Region.objects.filter(code=village_code, level="村").first()
    if village is None:
        raise Http404("没有这个村")
    years = notices.public_years(village_code)
    year = _year(request, years[0] if years else 0)
    content = notices.public_content(village_code, year) if year in years else None
    published = Notice.objects.filter(region_id=village_code, level="村", fund_year=year).order_by(
        "published_on"
    )
    town = village.parent
    return render(
        request,
        "funds/public_village.html",
        {
            "village": village,
            "town": town,
            "years": years,
            "year": year,
            "content": content,
            "published": published,
        },
    )


def public_village_pdf(request: HttpRequest, village_code: str, year: int) -> HttpResponse:
    if not Region.objects.filter(
        code=village_code, level="村"
    ).exists() or year not in notices.public_years(village_code):
        raise Http404("该村该年度没有公示")
    content = notices.public_content(village_code, year)
    response = HttpResponse(notices.notice_pdf(content), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{_quote(content.title)}.pdf"
    return response

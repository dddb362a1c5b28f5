"""Figures for a region: the one place the site's counts, incidence and incomes come from."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Count

from fupin.engine.standard_format import ATTRIBUTES, CAUSES, STATUSES
from fupin.registry import regions as codes
from fupin.registry.models import Household, Member, Region

POOR_STATUSES = ("未脱贫", "返贫")  # still counted as poor population


def household_income(h: Household, members: int) -> dict[str, Decimal | None]:
    """Net household income (收入之和) and per person: wage + business − expense + property + transfer."""
    total = (
        h.wage_income
        + h.business_income
        - h.business_expense
        + h.property_income
        + h.transfer_income
    )
    per_person = (total / members).quantize(Decimal("0.01")) if members else None
    return {"total": total, "per_person": per_person}


def incidence(poor_people: int, population: int | None) -> float | None:
    """贫困发生率 in percent (two decimals): poor people (未脱贫 and 返贫 members) over the
    region's registered rural population; None without a population."""
    if not population or population <= 0:
        return None
    return round(100 * poor_people / population, 2)


def region_figures(region: Region) -> dict:
    """Households and people by status, attribute and cause, and the incidence, in a subtree."""
    hh = Household.objects.within(region.code)
    by_status = Counter(dict(hh.values_list("status").annotate(n=Count("pk")).order_by()))
    people = Counter(
        dict(
            Member.objects.within(region.code)
            .values_list("household__status")
            .annotate(n=Count("pk"))
            .order_by()
        )
    )
    by_attribute = Counter(dict(hh.values_list("attribute").annotate(n=Count("pk")).order_by()))
    by_cause = Counter(dict(hh.values_list("main_cause").annotate(n=Count("pk")).order_by()))
    poor_people = sum(people[s] for s in POOR_STATUSES)
    population = region.population
    return {
        "households": sum(by_status.values()),
        "people": sum(people.values()),
        "by_status": [(s, by_status[s], people[s]) for s in STATUSES],
        "by_attribute": [(a, by_attribute[a]) for a in ATTRIBUTES],
        "by_cause": [(c, by_cause[c]) for c in CAUSES if by_cause[c]],
        "poor_people": poor_people,
        "population": population,
        "incidence": incidence(poor_people, population),
    }


def child_level_digits(region: Region) -> int | None:
    digits = codes.LEVEL_DIGITS[region.level]
    later = [d for d in codes.LEVEL_DIGITS.values() if d > digits]
    return later[0] if later else None


def children_figures(region: Region) -> list[dict]:
    """Each child region with its households by status (for drill-down and comparisons)."""
    digits = child_level_digits(region)
    if digits is None:
        return []
    children = list(Region.objects.filter(parent=region).order_by("code"))
    per_child: dict[str, Counter] = defaultdict(Counter)
    rows = (
        Household.objects.within(region.code)
        .values_list("region_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for code, status, n in rows:
        per_child[code[:digits].ljust(12, "0")][status] += n
    out = []
    for child in children:
        c = per_child.get(child.code, Counter())
        out.append(
            {
                "region": child,
                "households": sum(c.values()),
                "by_status": [(s, c[s]) for s in STATUSES],
                "poor": sum(c[s] for s in POOR_STATUSES),
            }
        )
    return out


def years_figures(region: Region) -> dict[str, list]:
    """Households identified and exited per year, for the comparison between years."""
    hh = Household.objects.within(region.code)
    identified = dict(
        hh.exclude(identified_year=None)
        .values_list("identified_year")
        .annotate(n=Count("pk"))
        .order_by()
    )
    exited = dict(
        hh.exclude(exit_year=None).values_list("exit_year").annotate(n=Count("pk")).order_by()
    )
    years = sorted(set(identified) | set(exited))
    return {
        "years": years,
        "identified": [identified.get(y, 0) for y in years],
        "exited": [exited.get(y, 0) for y in years],
    }


def _code_range(code: str) -> tuple[str, str]:
    return codes.subtree_range(code)


def verdict_figures(region: Region) -> dict | None:
    """Exit verdicts of the latest evaluation in a subtree: passed, failed, wrong-exit risks."""
    from fupin.web.models import ExitVerdict
    from fupin.web.verdicts import criterion_names

    low, high = _code_range(region.code)
    qs = ExitVerdict.objects.filter(region_code__gte=low, region_code__lte=high)
    first = qs.values("snapshot", "policy", "evaluated_at").first()
    if first is None:
        return None
    by_passed = dict(qs.values_list("passed").annotate(n=Count("pk")).order_by())
    risks = qs.filter(status="已脱贫", passed=False).count()
    failed: Counter[str] = Counter()
    for text, n in (
        qs.exclude(failed_criteria="")
        .values_list("failed_criteria")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        for cid in text.split(";"):
            if cid:
                failed[cid] += n
    names = criterion_names(first["policy"])
    return {
        **first,
        "passed": by_passed.get(True, 0),
        "failed": by_passed.get(False, 0),
        "wrong_exit_risks": risks,
        "criteria": [(cid, names.get(cid, cid), n) for cid, n in failed.most_common()],
    }


def latest_findings():
    """The findings of the latest stored comparison run (a queryset), or None."""
    from django.apps import apps

    if not apps.is_installed("fupin.comparison"):
        return None
    from fupin.comparison.models import ComparisonRun, Finding

    run = ComparisonRun.objects.order_by("-created_at", "-pk").first()
    if run is None:
        return None
    return Finding.objects.filter(run=run)


def findings_figures(region: Region) -> dict | None:
    """Findings of the latest stored department-data comparison in a subtree, by kind."""
    findings = latest_findings()
    if findings is None:
        return None
    low, high = _code_range(region.code)
    rows = (
        findings.filter(region_code__gte=low, region_code__lte=high)
        .values_list("finding_id", "finding_name")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    return {"kinds": list(rows)}


def overdue_tasks(region: Region, today) -> int | None:
    """Overdue items of the task lists of the region, its subtree and the levels above it."""
    from django.apps import apps

    if not apps.is_installed("fupin.governance"):
        return None
    from fupin.governance.models import Task

    low, high = _code_range(region.code)
    above = []
    c = codes.parent_code(region.code)
    while c:
        above.append(c)
        c = codes.parent_code(c)
    from django.db.models import Q

    return (
        Task.objects.overdue(today)
        .filter(
            Q(task_list__region_code__gte=low, task_list__region_code__lte=high)
            | Q(task_list__region_code__in=above)
        )
        .count()
    )


def county_villages(county: Region) -> list[dict]:
    """Every village of a county with its households by status and its exit verdict."""
    from fupin.web.models import RegionVerdict

    villages = list(Region.objects.within(county.code).filter(level="村").order_by("code"))
    counts: dict[str, Counter] = defaultdict(Counter)
    for code, status, n in (
        Household.objects.within(county.code)
        .values_list("region_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[code][status] += n
    low, high = _code_range(county.code)
    verdicts = {
        v.region_code: v
        for v in RegionVerdict.objects.filter(
            region_code__gte=low, region_code__lte=high, level="村"
        )
    }
    return [
        {
            "region": v,
            "households": sum(counts[v.code].values()),
            "by_status": [(s, counts[v.code][s]) for s in STATUSES],
            "verdict": verdicts.get(v.code),
        }
        for v in villages
    ]

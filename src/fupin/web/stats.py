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
    incidence = round(100 * poor_people / population, 2) if population and population > 0 else None
    return {
        "households": sum(by_status.values()),
        "people": sum(people.values()),
        "by_status": [(s, by_status[s], people[s]) for s in STATUSES],
        "by_attribute": [(a, by_attribute[a]) for a in ATTRIBUTES],
        "by_cause": [(c, by_cause[c]) for c in CAUSES if by_cause[c]],
        "poor_people": poor_people,
        "population": population,
        "incidence": incidence,
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

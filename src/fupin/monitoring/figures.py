"""Monitoring figures of a region: rates, overdue follow-ups, stability and the visit ranking.

Counts are ORM aggregates; 返贫率 comes from `fupin.engine.monitoring.rates`, the one function
the CLI uses too; stability from the engine's SQL over the registry's current rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from fupin.engine.monitoring.rates import ReturnRate, return_to_poverty_rate
from fupin.engine.monitoring.scan import Stability, stability_scores
from fupin.monitoring import data
from fupin.monitoring.models import Case
from fupin.registry import regions
from fupin.registry.models import Household, Member, Region


def _households(code: str):
    return Household.objects.within(code) if code else Household.objects.all()


def return_rate(code: str) -> ReturnRate:
    """返贫率 of a region (the subtree of `code`; '' for everything), in the policy's unit."""
    households = _households(code).aggregate(
        exited=Count("pk", filter=Q(status="已脱贫")),
        returned=Count("pk", filter=Q(status="返贫")),
    )
    members = Member.objects.within(code) if code else Member.objects.all()
    people = members.aggregate(
        exited=Count("pk", filter=Q(household__status="已脱贫")),
        returned=Count("pk", filter=Q(household__status="返贫")),
    )
    return return_to_poverty_rate(
        exited_households=households["exited"],
        exited_people=people["exited"],
        returned_households=households["returned"],
        returned_people=people["returned"],
        unit=str(data.policy().value("return_rate_unit")),
    )


@dataclass(frozen=True)
class MonitoringRates:
    region_code: str
    monitored: int  # households (registered or 边缘户) with a case, whatever its state
    open: int
    to_verify: int
    monitoring: int
    removed: int  # cases closed as 风险消除
    returned: int  # cases closed as 返贫
    dismissed: int
    edge: int  # of the monitored, 边缘户
    return_rate: ReturnRate

    @property
    def removed_percent(self) -> float | None:
        return 100.0 * self.removed / self.monitored if self.monitored else None


def monitoring_rates(code: str) -> MonitoringRates:
    cases = Case.objects.within(code)
    counts = cases.aggregate(
        households=Count("household", distinct=True),
        edges=Count("edge", distinct=True),
        open=Count("household", filter=Q(state__in=Case.OPEN_STATES), distinct=True)
        + Count("edge", filter=Q(state__in=Case.OPEN_STATES), distinct=True),
        **{
            key: Count("pk", filter=Q(state=state))
            for key, state in (
                ("to_verify", Case.TO_VERIFY),
                ("monitoring", Case.MONITORING),
                ("removed", Case.REMOVED),
                ("returned", Case.RETURNED),
                ("dismissed", Case.DISMISSED),
            )
        },
    )
    return MonitoringRates(
        code,
        counts["households"] + counts["edges"],
        counts["open"],
        counts["to_verify"],
        counts["monitoring"],
        counts["removed"],
        counts["returned"],
        counts["dismissed"],
        counts["edges"],
        return_rate(code),
    )


def children_rates(region: Region) -> list[tuple[Region, MonitoringRates]]:
    return [(child, monitoring_rates(child.code)) for child in region.children.order_by("code")]


def overdue_cases(code: str, today: dt.date):
    """Open cases whose verification or follow-up visit is past due."""
    return (
        Case.objects.within(code)
        .filter(
            Q(state=Case.MONITORING, next_follow_up__lt=today)
            | Q(state=Case.TO_VERIFY, verify_due__lt=today)
        )
        .select_related("household", "edge", "region", "helper")
        .order_by("region_id", "pk")
    )


def township_code(village_code: str) -> str:
    return village_code[:9] + "000"


def overdue_by_helper(code: str, today: dt.date) -> list[dict]:
    rows = (
        overdue_cases(code, today)
        .values("helper_id", "helper__name", "helper__unit")
        .annotate(n=Count("pk"))
        .order_by("-n", "helper__name")
    )
    return [
        {
            "helper_id": r["helper_id"],
            "name": r["helper__name"] or "（未指定帮扶责任人）",
            "unit": r["helper__unit"] or "",
            "count": r["n"],
        }
        for r in rows
    ]


def overdue_by_township(code: str, today: dt.date) -> list[dict]:
    counts: dict[str, int] = {}
    for region_id in overdue_cases(code, today).values_list("region_id", flat=True):
        key = township_code(region_id)
        counts[key] = counts.get(key, 0) + 1
    names = dict(Region.objects.filter(code__in=counts).values_list("code", "name"))
    return [
        {"code": k, "name": names.get(k, k), "count": v}
        for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def stability_for_household(household: Household, *, as_of: dt.date | None = None):
    """The stability score of one exited household with its drivers; None if not exited.

    For the household file: `{% include "monitoring/_stability.html" with stability=... %}`.
    """
    if household.status != "已脱贫":
        return None
    con = data.registry_connection(household.region_id, [household.household_id])
    scores = stability_scores(con, data.policy(), as_of=as_of or data.today())
    return scores[0] if scores else None


def stability_by_household(code: str, *, as_of: dt.date | None = None) -> dict[str, Stability]:
    con = data.registry_connection(code or None)
    scores = stability_scores(con, data.policy(), as_of=as_of or data.today(), region=code or None)
    return {s.household_id: s for s in scores}


def follow_up_ranking(code: str, today: dt.date) -> list[dict]:
    """Open cases to visit, most urgent first: overdue, then least stable, then due date."""
    cases = list(
        Case.objects.within(code)
        .filter(state__in=[Case.TO_VERIFY, Case.MONITORING])
        .select_related("household", "edge", "region", "helper")
    )
    scores = stability_by_household(code, as_of=today) if cases else {}
    out = []
    for case in cases:
        due = case.next_follow_up if case.state == Case.MONITORING else case.verify_due
        stability = scores.get(case.household_id or "")
        out.append(
            {
                "case": case,
                "due": due,
                "overdue": due is not None and due < today,
                "stability": stability,
            }
        )
    out.sort(
        key=lambda r: (
            not r["overdue"],
            r["stability"].score if r["stability"] else -1.0,
            r["due"] or dt.date.max,
        )
    )
    return out


def region_name(code: str) -> str:
    if not code:
        return "全部"
    region = Region.objects.filter(code=code).first()
    return region.name if region else regions.level_of(code)

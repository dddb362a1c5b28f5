"""Fund figures of a county from the database, each computed by one function (ORM aggregates).

Pages, CLI, reports, checks and the assessment's 扶贫资金 component all call these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from fupin.engine.funds import figures as f
from fupin.engine.funds.policy import FundsPolicy
from fupin.funds.models import (
    Allocation,
    CarryOver,
    Disbursement,
    IntegrationPlan,
    Payment,
    Project,
)


@dataclass(frozen=True)
class Balance:
    """One source and fund year of a county: 下达 = 拨付 + 结转结余 when the books balance."""

    source: str
    fund_year: int
    allocated: Decimal
    disbursed: Decimal
    carried_over: Decimal | None  # as reported by the county; None when not reported

    @property
    def balance(self) -> Decimal:
        """What is left by the books: allocated − disbursed."""
        return f.yuan(self.allocated) - f.yuan(self.disbursed)

    @property
    def gap(self) -> Decimal:
        return f.reconciliation_gap(self.allocated, self.disbursed, self.carried_over)

    @property
    def reconciled(self) -> bool:
        return self.gap == 0  # an unreported carry-over counts as 0


def fund_balances(county_code: str, as_of: dt.date) -> list[Balance]:
    """Allocated, disbursed and reported carry-over per source and fund year, up to as_of."""
    allocated = {
        (r["source"], r["fund_year"]): r["total"]
        for r in Allocation.objects.filter(county_id=county_code, allocated_on__lte=as_of)
        .values("source", "fund_year")
        .annotate(total=Sum("amount"))
    }
    disbursed = {
        (r["allocation__source"], r["allocation__fund_year"]): r["total"]
        for r in Disbursement.objects.filter(
            allocation__county_id=county_code, disbursed_on__lte=as_of
        )
        .values("allocation__source", "allocation__fund_year")
        .annotate(total=Sum("amount"))
    }
    reported: dict[tuple[str, int], Decimal] = {}
    # the latest report on or before as_of wins (ordered ascending, later ones overwrite)
    for row in (
        CarryOver.objects.filter(county_id=county_code, as_of__lte=as_of)
        .order_by("as_of")
        .values("source", "fund_year", "amount")
    ):
        reported[(row["source"], row["fund_year"])] = row["amount"]
    keys = sorted(set(allocated) | set(disbursed) | set(reported), key=lambda k: (k[1], k[0]))
    return [
        Balance(
            source=source,
            fund_year=year,
            allocated=f.yuan(allocated.get((source, year))),
            disbursed=f.yuan(disbursed.get((source, year))),
            carried_over=None
            if (source, year) not in reported
            else f.yuan(reported[(source, year)]),
        )
        for source, year in keys
    ]


@dataclass(frozen=True)
class YearCarryOver:
    """结转结余率 of one fund year over the fiscal special sources (seed 004 item 31)."""

    fund_year: int
    allocated: Decimal
    carried_over: Decimal
    rate: Decimal | None
    limit: Decimal | None


def carryover_by_year(county_code: str, as_of: dt.date, policy: FundsPolicy) -> list[YearCarryOver]:
    """Per fund year: the carry-over (reported, else what the books leave) over what was allocated."""
    sources = set(policy.sources_list("carryover_sources"))
    years: dict[int, list[Decimal]] = {}
    for b in fund_balances(county_code, as_of):
        if b.source not in sources:
            continue
        carried = b.carried_over if b.carried_over is not None else b.balance
        totals = years.setdefault(b.fund_year, [Decimal(0), Decimal(0)])
        totals[0] += b.allocated
        totals[1] += carried
    return [
        YearCarryOver(
            fund_year=year,
            allocated=f.yuan(totals[0]),
            carried_over=f.yuan(totals[1]),
            rate=f.carryover_rate(totals[1], totals[0]),
            limit=policy.carryover_limit(year, as_of.year),
        )
        for year, totals in sorted(years.items())
    ]


@dataclass(frozen=True)
class Integration:
    year: int
    in_scope: Decimal
    planned: Decimal
    integrated: Decimal
    spent: Decimal
    ratios: dict[str, Decimal | None]


INTEGRATED_SOURCE = "整合涉农资金"


def integration(county_code: str, year: int, as_of: dt.date) -> Integration | None:
    """Seed 004 item 33's three ratios for a county and year; None without a plan."""
    plan = IntegrationPlan.objects.filter(county_id=county_code, year=year).first()
    if plan is None:
        return None
    integrated = Allocation.objects.filter(
        county_id=county_code, source=INTEGRATED_SOURCE, fund_year=year, allocated_on__lte=as_of
    ).aggregate(total=Sum("amount"))["total"]
    spent = Disbursement.objects.filter(
        allocation__county_id=county_code,
        allocation__source=INTEGRATED_SOURCE,
        allocation__fund_year=year,
        disbursed_on__lte=as_of,
    ).aggregate(total=Sum("amount"))["total"]
    return Integration(
        year=year,
        in_scope=f.yuan(plan.in_scope_amount),
        planned=f.yuan(plan.planned_amount),
        integrated=f.yuan(integrated),
        spent=f.yuan(spent),
        ratios=f.integration_ratios(plan.in_scope_amount, plan.planned_amount, integrated, spent),
    )


def project_progress(county_code: str, year: int) -> dict[str, int]:
    """Projects of a plan year by milestone reached (cancelled ones left out)."""
    counts = (
        Project.objects.filter(county_id=county_code, plan_year=year)
        .exclude(status="已取消")
        .aggregate(
            total=Count("id"),
            approved=Count("id", filter=Q(approved_on__isnull=False)),
            started=Count("id", filter=Q(started_on__isnull=False)),
            completed=Count("id", filter=Q(completed_on__isnull=False)),
            accepted=Count("id", filter=Q(accepted_on__isnull=False)),
        )
    )
    return {k: int(v or 0) for k, v in counts.items()}


def household_payments(county_code: str, year: int) -> dict[str, Decimal | int]:
    row = Payment.objects.filter(county_id=county_code, fund_year=year).aggregate(
        count=Count("id"), amount=Sum("amount"), households=Count("household", distinct=True)
    )
    return {
        "count": int(row["count"] or 0),
        "amount": f.yuan(row["amount"]),
        "households": int(row["households"] or 0),
    }

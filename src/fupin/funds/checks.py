"""The funds rules of the policy file, run as database aggregates and filters.

Each rule is one function returning findings; `run_checks` runs the rules the policy turns
on. The database does the work (aggregates, joins, sub-queries); Python only words the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum

from fupin.engine.funds import figures as f
from fupin.engine.funds.findings import Finding
from fupin.engine.funds.policy import FundsPolicy, carryover_exceeds, load_funds_policy
from fupin.funds import figures
from fupin.funds.models import Allocation, Disbursement, Notice, Payment, Project
from fupin.registry.models import Member, Region

Check = Callable[[str, int, dt.date, FundsPolicy], Iterable[Finding]]


def _finding(
    policy: FundsPolicy, rule: str, county: str, subject: str, message: str, **extra: object
) -> Finding:
    info = policy.rules[rule]
    return Finding(
        rule=rule,
        name=info.name,
        source=info.source,
        county_code=county,
        subject=subject,
        message=message,
        region_code=str(extra.get("region_code") or county),
        amount=extra.get("amount") if isinstance(extra.get("amount"), Decimal) else None,
    )


def check_carryover(
    county: str, year: int, as_of: dt.date, policy: FundsPolicy
) -> Iterable[Finding]:
    """Seed 004 item 31: 2017 funds < 8 %, 2016 < 2 %, 2015 and earlier 0 at 31 December."""
    for row in figures.carryover_by_year(county, as_of, policy):
        if carryover_exceeds(row.rate, row.limit):
            assert row.limit is not None
            bound = "应为0" if row.limit == 0 else f"应低于{f.percent(row.limit)}"
            yield _finding(
                policy,
                "carryover_over_limit",
                county,
                f"{row.fund_year}年财政专项扶贫资金",
                f"截至{as_of.isoformat()}结转结余{row.carried_over}元，占下达{row.allocated}元的{f.percent(row.rate)}，{bound}",
                amount=row.carried_over,
            )


def check_reconciliation(
    county: str, year: int, as_of: dt.date, policy: FundsPolicy
) -> Iterable[Finding]:
    """下达 = 拨付 + 结转结余, to the fen, per source and fund year."""
    for b in figures.fund_balances(county, as_of):
        if b.reconciled:
            continue
        reported = "未报结转结余" if b.carried_over is None else f"结转结余{b.carried_over}元"
        yield _finding(
            policy,
            "funds_not_reconciled",
            county,
            f"{b.fund_year}年{b.source}资金",
            f"下达{b.allocated}元，拨付{b.disbursed}元，{reported}，差额{b.gap}元",
            amount=b.gap,
        )


def check_integration(
    county: str, year: int, as_of: dt.date, policy: FundsPolicy
) -> Iterable[Finding]:
    """Seed 004 item 33: each of the three integration ratios at least 80 %."""
    result = figures.integration(county, year, as_of)
    if result is None:
        return
    wording = {
        "plan": (
            "integration_plan_below",
            "integration_plan_ratio_min",
            "计划整合资金规模占纳入整合范围的资金规模",
        ),
        "done": (
            "integration_done_below",
            "integration_done_ratio_min",
            "已整合资金规模占计划整合资金规模",
        ),
        "spent": (
            "integration_spent_below",
            "integration_spent_ratio_min",
            "已完成支出资金规模占计划整合资金规模",
        ),
    }
    for key, (rule, parameter, label) in wording.items():
        value = result.ratios[key]
        minimum = policy.number(parameter)
        if policy.enabled(rule) and (value is None or value < minimum):
            yield _finding(
                policy,
                rule,
                county,
                f"{year}年涉农资金整合",
                f"{label}为{f.percent(value)}，应不低于{f.percent(minimum)}",
            )


def _days(later: str, earlier: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


def check_acceptance(
    county: str, year: int, as_of: dt.date, policy: FundsPolicy
) -> Iterable[Finding]:
    """Seed 003: projects not accepted in time after completion, or not at all."""
    days = policy.days("acceptance_days_after_completion")
    projects = Project.objects.filter(
        county_id=county, completed_on__isnull=False, completed_on__lte=as_of
    )
    if policy.enabled("project_accepted_late"):
        late = (
            projects.filter(accepted_on__isnull=False, accepted_on__lte=as_of)
            .annotate(wait=_days("accepted_on", "completed_on"))
            .filter(wait__gt=dt.timedelta(days=days))
        )
        for p in late:
            waited = (p.accepted_on - p.completed_on).days
            yield _finding(
                policy,
                "project_accepted_late",
                county,
                f"项目{p.code} {p.name}",
                f"{p.completed_on.isoformat()}完工，{p.accepted_on.isoformat()}才验收，相隔{waited}天（应在{days}天内）",
                region_code=p.village_id or county,
            )
    if policy.enabled("project_not_accepted"):
        waiting = projects.filter(
            Q(accepted_on__isnull=True) | Q(accepted_on__gt=as_of),
            completed_on__lt=as_of - dt.timedelta(days=days),
        )
        for p in waiting:
            yield _finding(
                policy,
                "project_not_accepted",
                county,
                f"项目{p.code} {p.name}",
                f"{p.completed_on.isoformat()}完工，截至{as_of.isoformat()}已{(as_of - p.completed_on).days}天仍未验收（应在{days}天内）",
                region_code=p.village_id or county,
            )


def check_tender(county: str, year: int, as_of: dt.date, policy: FundsPolicy) -> Iterable[Finding]:
    """Seed 003: projects of tender size started without an open tender, or before it."""
    minimum = policy.number("tender_budget_min")
    irregular = Project.objects.filter(
        county_id=county, budget__gte=minimum, started_on__isnull=False, started_on__lte=as_of
    ).filter(
        ~Q(procurement_method="公开招标")
        | Q(tender_date__isnull=True)
        | Q(winning_bidder="")
        | Q(tender_date__gt=F("started_on"))
    )
    for p in irregular:
        if p.procurement_method != "公开招标":
            why = (
                f"预算{p.budget}元达到公开招标规模，采购方式为“{p.procurement_method or '未填写'}”"
            )
        elif p.tender_date is None or not p.winning_bidder:
            why = "未记录招标日期或中标单位"
        else:
            why = f"{p.started_on.isoformat()}开工，晚于开工的{p.tender_date.isoformat()}才招标"
        yield _finding(
            policy,
            "tender_irregular",
            county,
            f"项目{p.code} {p.name}",
            why,
            region_code=p.village_id or county,
        )


def check_township_holding(
    county: str, year: int, as_of: dt.date, policy: FundsPolicy
) -> Iterable[Finding]:
    """Seed 003: money received by a township and not paid on within the allowed days."""
    days = policy.days("township_hold_days_max")
    through = Disbursement.objects.filter(
        allocation__county_id=county, township__isnull=False, disbursed_on__lte=as_of
    ).select_related("township", "allocation")
    held_long = through.annotate(held=_days("township_paid_on", "disbursed_on")).filter(
        Q(township_paid_on__isnull=True, disbursed_on__lt=as_of - dt.timedelta(days=days))
        | Q(township_paid_on__isnull=False, held__gt=dt.timedelta(days=days))
    )
    for d in held_long.order_by("disbursed_on"):
        until = d.township_paid_on or as_of
        state = (
            f"{until.isoformat()}拨出" if d.township_paid_on else f"截至{as_of.isoformat()}仍未拨出"
        )
        yield _finding(
            policy,
            "funds_held_at_township",
            county,
            f"{d.township.name} {d.allocation.fund_year}年{d.allocation.source}资金{d.amount}元",
            f"{d.disbursed_on.isoformat()}拨到乡镇，{state}，停留{(until - d.disbursed_on).days}天（不应超过{days}天）",
            region_code=d.township_id,
            amount=f.yuan(d.amount),
        )


def check_payments_covered(
    county: str, year: int, as_of: dt.date, policy: FundsPolicy
) -> Iterable[Finding]:
    """Household payments charged to a disbursement never add up to more than it."""
    over = (
        Disbursement.objects.filter(allocation__county_id=county, allocation__fund_year=year)
        .annotate(paid=Sum("payments__amount"), n=Count("payments"))
        .filter(paid__gt=F("amount"))
        .select_related("allocation", "township")
        .order_by("disbursed_on")
    )
    for d in over:
        where = d.township.name if d.township else (d.payee or "县级")
        yield _finding(
            policy,
            "payments_exceed_disbursement",
            county,
            f"{where} {d.disbursed_on.isoformat()}拨付的{d.allocation.fund_year}年{d.allocation.source}资金",
            f"拨付{f.yuan(d.amount)}元，名下到户资金{d.n}笔共{f.yuan(d.paid)}元，多出{f.yuan(d.paid) - f.yuan(d.amount)}元",
            region_code=d.township_id or county,
            amount=f.yuan(d.paid) - f.yuan(d.amount),
        )


def check_payments(
    county: str, year: int, as_of: dt.date, policy: FundsPolicy
) -> Iterable[Finding]:
    """Seed 000 item 33 (冒领): payees not in the registry, a name not matching the ID, or paid twice."""
    payments = Payment.objects.filter(county_id=county, fund_year=year, paid_on__lte=as_of)
    if policy.enabled("payment_not_in_registry"):
        registered_name = Member.objects.filter(id_number=OuterRef("payee_id_number")).values(
            "name"
        )[:1]
        strangers = payments.annotate(registered=Subquery(registered_name)).filter(
            Q(registered__isnull=True) | ~Q(registered=F("payee_name"))
        )
        for p in strangers:
            if p.registered is None:
                why = "身份证号不在建档立卡系统中"
            else:
                why = f"身份证号在系统中登记的姓名为“{p.registered}”"
            yield _finding(
                policy,
                "payment_not_in_registry",
                county,
                f"{p.kind} {p.payee_name}（{_mask(p.payee_id_number)}）",
                f"{p.paid_on.isoformat()}发放{p.amount}元，{why}",
                region_code=p.village_id or county,
                amount=f.yuan(p.amount),
            )
    if policy.enabled("payment_duplicate"):
        twice = (
            payments.values("payee_id_number", "kind", "fund_year")
            .annotate(n=Count("id"), total=Sum("amount"))
            .filter(n__gt=1)
            .order_by("payee_id_number", "kind")
        )
        for row in twice:
            name = (
                payments.filter(payee_id_number=row["payee_id_number"])
                .values_list("payee_name", flat=True)
                .first()
            )
            yield _finding(
                policy,
                "payment_duplicate",
                county,
                f"{row['kind']} {name}（{_mask(row['payee_id_number'])}）",
                f"{row['fund_year']}年领取{row['n']}次，共{f.yuan(row['total'])}元",
                amount=f.yuan(row["total"]),
            )


def check_beneficiaries(
    county: str, year: int, as_of: dt.date, policy: FundsPolicy
) -> Iterable[Finding]:
    """Project beneficiaries and payment households that are not (or no longer) poor households."""
    poor = policy.sources_list("poor_statuses")
    links = (
        Project.beneficiary_households.through.objects.filter(
            project__county_id=county, project__plan_year=year
        )
        .exclude(household__status__in=poor)
        .select_related("project", "household")
    )
    for link in links:
        h = link.household
        yield _finding(
            policy,
            "beneficiary_not_poor",
            county,
            f"项目{link.project.code} 受益户{h.head_name}户（{h.household_id}）",
            f"贫困状态为“{h.status or '未填写'}”，不是建档立卡贫困户",
            region_code=h.region_id,
        )
    paid = (
        Payment.objects.filter(county_id=county, fund_year=year, household__isnull=False)
        .exclude(household__status__in=poor)
        .values("household_id", "household__head_name", "household__status", "household__region_id")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by("household_id")
    )
    for row in paid:
        yield _finding(
            policy,
            "beneficiary_not_poor",
            county,
            f"到户资金 {row['household__head_name']}户（{row['household_id']}）",
            f"贫困状态为“{row['household__status'] or '未填写'}”，仍领取到户资金{row['n']}笔共{f.yuan(row['total'])}元",
            region_code=row["household__region_id"],
            amount=f.yuan(row["total"]),
        )


def check_notices(county: str, year: int, as_of: dt.date, policy: FundsPolicy) -> Iterable[Finding]:
    """Seed 004 item 32, seed 000 item 33: projects, payments and allocations shown to the public."""
    deadline = min(policy.notice_deadline(year), as_of)
    on_time = Q(notices__published_on__lte=deadline)
    if policy.enabled("notice_missing_project"):
        # the levels a project must be shown at (县、村 in Jiangxi; 县、乡、村 in Yunnan)
        levels = policy.sources_list("project_notice_levels")
        names = {"县": "county", "乡": "township", "村": "village"}
        counts = {
            f"n_{names[level]}": Count(
                "notices", filter=on_time & Q(notices__level=level), distinct=True
            )
            for level in levels
        }
        # a county-wide project (no village) needs no township or village notice
        missing_any = Q()
        for level in levels:
            condition = Q(**{f"n_{names[level]}": 0})
            if level != "县":
                condition &= Q(village__isnull=False)
            missing_any |= condition
        projects = (
            Project.objects.filter(county_id=county, plan_year=year)
            .exclude(status="已取消")
            .annotate(**counts)
            .filter(missing_any)
        )
        for p in projects:
            missing = "、".join(
                f"{level}级"
                for level in levels
                if getattr(p, f"n_{names[level]}") == 0 and (level == "县" or p.village_id)
            )
            yield _finding(
                policy,
                "notice_missing_project",
                county,
                f"项目{p.code} {p.name}",
                f"{deadline.isoformat()}前没有{missing}项目安排公示",
                region_code=p.village_id or county,
            )
    if policy.enabled("notice_missing_payment"):
        noticed = Notice.objects.filter(
            kind="到户资金", level="村", fund_year=year, published_on__lte=deadline
        ).values("region_id")
        villages = (
            Payment.objects.filter(county_id=county, fund_year=year, village__isnull=False)
            .exclude(village_id__in=noticed)
            .values("village_id", "village__name")
            .annotate(n=Count("id"), total=Sum("amount"))
            .order_by("village_id")
        )
        for row in villages:
            yield _finding(
                policy,
                "notice_missing_payment",
                county,
                f"{row['village__name']}（{row['village_id']}）",
                f"{year}年到户资金{row['n']}笔共{f.yuan(row['total'])}元，{deadline.isoformat()}前没有村级公示",
                region_code=row["village_id"],
                amount=f.yuan(row["total"]),
            )
    if policy.enabled("notice_missing_allocation"):
        allocated = Allocation.objects.filter(county_id=county, fund_year=year).aggregate(
            total=Sum("amount")
        )["total"]
        shown = Notice.objects.filter(
            region_id=county,
            level="县",
            kind="资金分配",
            fund_year=year,
            published_on__lte=deadline,
        ).exists()
        if allocated and not shown:
            yield _finding(
                policy,
                "notice_missing_allocation",
                county,
                f"{year}年扶贫资金分配",
                f"下达{f.yuan(allocated)}元，{deadline.isoformat()}前没有县级资金分配公告",
                amount=f.yuan(allocated),
            )


CHECKS: dict[str, Check] = {
    "carryover_over_limit": check_carryover,
    "funds_not_reconciled": check_reconciliation,
    "integration": check_integration,
    "acceptance": check_acceptance,
    "tender_irregular": check_tender,
    "funds_held_at_township": check_township_holding,
    "payments": check_payments,
    "payments_exceed_disbursement": check_payments_covered,
    "beneficiary_not_poor": check_beneficiaries,
    "notices": check_notices,
}
# checks that cover several rules decide inside which of theirs are on
_GROUPS = {
    "integration": ("integration_plan_below", "integration_done_below", "integration_spent_below"),
    "acceptance": ("project_accepted_late", "project_not_accepted"),
    "payments": ("payment_not_in_registry", "payment_duplicate"),
    "notices": ("notice_missing_project", "notice_missing_payment", "notice_missing_allocation"),
}


def run_checks(
    county_code: str,
    year: int,
    *,
    as_of: dt.date | None = None,
    policy: FundsPolicy | None = None,
) -> list[Finding]:
    """Every finding of a county for a year, checked as of a date (default: the policy's 12-31)."""
    policy = policy or load_funds_policy()
    as_of = as_of or policy.check_date(year)
    if not Region.objects.filter(code=county_code).exists():
        raise ValueError(f"区划代码 {county_code} 不在系统中")
    out: list[Finding] = []
    for name, check in CHECKS.items():
        rules = _GROUPS.get(name, (name,))
        if any(policy.enabled(r) for r in rules):
            out.extend(check(county_code, year, as_of, policy))
    return out


def _mask(number: str) -> str:
    from fupin.engine.idcard import mask

    return mask(number)

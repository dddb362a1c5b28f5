"""Demo funds for a county already in the registry: projects, money and notices that reconcile.

`generate_funds(county_code, seed)` writes three fund years (the year and the two before) so
that every rule of the policy passes at 31 December of the year: allocations = disbursements +
carry-over to the fen per source and year, carry-over within its year's limit, integration
ratios above 80 %, projects tendered, accepted and shown to the public, payments to registry
members only, once each. Tests break one thing on purpose and see the finding.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from fupin.engine.funds.policy import FundsPolicy, load_funds_policy
from fupin.funds.models import (
    Allocation,
    CarryOver,
    Disbursement,
    IntegrationPlan,
    Notice,
    Payment,
    Project,
)
from fupin.registry.models import Household, Member, Region

PROJECT_KINDS = ("产业", "基础设施", "易地搬迁配套", "危房改造", "教育", "健康", "就业", "资产收益")
PROJECT_NAMES = {
    "产业": "{v}特色种养产业基地",
    "基础设施": "{v}通组道路硬化",
    "易地搬迁配套": "{v}安置点配套设施",
    "危房改造": "{v}农村危房改造",
    "教育": "{v}村小学校舍改善",
    "健康": "{v}标准化卫生室建设",
    "就业": "{v}扶贫车间",
    "资产收益": "{v}光伏扶贫电站",
}
PROJECT_SOURCES = ("中央", "省", "市", "县", "整合涉农资金")
POOL_SOURCES = ("社会帮扶", "信贷")
PAYMENT_PLAN = (("产业奖补", "中央", 1000, 3000), ("危改补助", "省", 5000, 20000))


@dataclass
class GeneratedFunds:
    county_code: str
    year: int
    counts: dict[str, int] = field(default_factory=dict)


def _fen(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def _date(rng: random.Random, year: int, first_month: int, last_month: int) -> dt.date:
    start = dt.date(year, first_month, 1)
    end = dt.date(year, last_month, 28)
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def clear_funds(county_code: str) -> None:
    """Delete every funds row of a county (projects, money, notices)."""
    Payment.objects.filter(county_id=county_code).delete()
    Disbursement.objects.filter(allocation__county_id=county_code).delete()
    Allocation.objects.filter(county_id=county_code).delete()
    CarryOver.objects.filter(county_id=county_code).delete()
    IntegrationPlan.objects.filter(county_id=county_code).delete()
    low, high = county_code[:6] + "000000", county_code[:6] + "999999"
    Notice.objects.filter(region_id__gte=low, region_id__lte=high).delete()
    Project.objects.filter(county_id=county_code).delete()


@transaction.atomic
def generate_funds(
    county_code: str,
    seed: int = 2017,
    *,
    year: int = 2017,
    projects_per_year: int = 12,
    paid_households: int = 40,
    policy: FundsPolicy | None = None,
) -> GeneratedFunds:
    """Create projects, allocations, disbursements, payments, carry-over and notices."""
    policy = policy or load_funds_policy()
    county = Region.objects.filter(code=county_code, level="县").first()
    if county is None:
        raise ValueError(f"区划代码 {county_code} 不是系统中的县")
    villages = list(Region.objects.within(county_code).filter(level="村").order_by("code"))
    if not villages:
        raise ValueError(f"{county.name}没有村，无法生成项目")
    poor = policy.sources_list("poor_statuses")
    households = list(
        Household.objects.within(county_code).filter(status__in=poor).order_by("household_id")
    )
    heads = {
        m.household_id: m
        for m in Member.objects.within(county_code).filter(
            household__status__in=poor, id_number=F("household__head_id_number")
        )
    }
    townships = {r.code: r for r in Region.objects.within(county_code).filter(level="乡")}
    by_village: dict[str, list[Household]] = defaultdict(list)
    for h in households:
        by_village[h.region_id].append(h)

    clear_funds(county_code)
    rng = random.Random(seed)
    result = GeneratedFunds(county_code, year)
    counts: dict[str, int] = defaultdict(int)
    doc = 0
    # what is left per (source, fund year), in fen: the carry-over reported at year end
    left: dict[tuple[str, int], int] = defaultdict(int)
    allocated_total: dict[tuple[str, int], int] = defaultdict(int)
    check_day = policy.check_date(year)

    def allocate(
        source: str, fund_year: int, fen: int, project: Project | None, on: dt.date
    ) -> Allocation:
        nonlocal doc
        doc += 1
        counts["allocations"] += 1
        allocated_total[(source, fund_year)] += fen
        return Allocation.objects.create(
            county=county,
            project=project,
            source=source,
            fund_year=fund_year,
            document_number=f"{county.name[:2]}财农〔{fund_year}〕{doc}号",
            allocated_on=on,
            amount=_fen(fen),
        )

    def disburse(
        allocation: Allocation,
        fen: int,
        on: dt.date,
        *,
        project: Project | None = None,
        via: Region | None = None,
        payee: str = "",
    ) -> Disbursement:
        counts["disbursements"] += 1
        voucher = f"BF{county_code[:6]}-{counts['disbursements']:05d}"
        paid_on = on + dt.timedelta(days=rng.randint(3, 15)) if via else None
        return Disbursement.objects.create(
            allocation=allocation,
            project=project,
            township=via,
            payee=payee,
            voucher=voucher,
            disbursed_on=on,
            township_paid_on=paid_on,
            amount=_fen(fen),
        )

    for fund_year in (year - 2, year - 1, year):
        age = year - fund_year
        # retention share of a project's allocation kept at year end, within the year's limit
        retention = {0: (0, 4), 1: (0, 1)}.get(age, (0, 0))
        chosen = (
            rng.sample(villages, min(projects_per_year, len(villages)))
            if len(villages) > projects_per_year
            else list(villages)
        )
        year_projects: list[Project] = []
        for n, village in enumerate(chosen, start=1):
            kind = PROJECT_KINDS[(n + fund_year) % len(PROJECT_KINDS)]
            budget = rng.randrange(200_000, 1_600_000) * 100 + rng.randrange(100)
            approved = _date(rng, fund_year, 2, 2)
            tender = approved + dt.timedelta(days=rng.randint(10, 30))
            started = tender + dt.timedelta(days=rng.randint(10, 30))
            completed = _date(rng, fund_year, 8, 10)
            accepted = completed + dt.timedelta(days=rng.randint(5, 25))
            big = budget >= int(policy.number("tender_budget_min") * 100)
            project = Project.objects.create(
                code=f"XM{county_code[:6]}-{fund_year}-{n:03d}",
                name=PROJECT_NAMES[kind].format(v=village.name),
                kind=kind,
                county=county,
                village=village,
                plan_year=fund_year,
                budget=_fen(budget),
                implementing_unit=f"{county.name}{'农业农村局' if kind == '产业' else '扶贫办'}",
                tender_date=tender,
                procurement_method="公开招标"
                if big
                else rng.choice(("询价", "竞争性谈判", "村民自建")),
                winning_bidder=f"{county.name[:2]}建设工程有限公司{n % 5 + 1}"
                if big
                else f"{village.name}施工队",
                approved_on=approved,
                started_on=started,
                completed_on=completed,
                accepted_on=accepted,
                status="已验收",
            )
            counts["projects"] += 1
            year_projects.append(project)
            project.beneficiary_villages.add(village)
            local = by_village.get(village.code, [])
            if local:
                project.beneficiary_households.add(*rng.sample(local, min(10, len(local))))
            source = PROJECT_SOURCES[n % len(PROJECT_SOURCES)]
            project.funding_sources = source
            project.save(update_fields=["funding_sources"])
            allocation = allocate(source, fund_year, budget, project, _date(rng, fund_year, 3, 4))
            kept = budget * rng.randint(*retention) // 100
            first = (budget - kept) * 6 // 10
            township = townships.get(village.parent_id or "")
            disburse(
                allocation,
                first,
                started,
                project=project,
                via=township if n % 3 == 0 else None,
                payee=project.winning_bidder,
            )
            disburse(
                allocation,
                budget - kept - first,
                accepted,
                project=project,
                payee=project.winning_bidder,
            )
            left[(source, fund_year)] += kept

        # 到户资金: one disbursement per village through its township, one payment per head
        payable = [h for h in households if h.household_id in heads]
        payees = rng.sample(payable, min(paid_households, len(payable)))
        paid_villages: dict[str, dt.date] = {}
        for kind, source, low, high in PAYMENT_PLAN:
            per_village: dict[str, list[tuple[Household, int]]] = defaultdict(list)
            for h in payees:
                per_village[h.region_id].append((h, rng.randint(low, high) * 100))
            total = sum(fen for rows in per_village.values() for _, fen in rows)
            if not total:
                continue
            allocation = allocate(source, fund_year, total, None, _date(rng, fund_year, 3, 4))
            for village_code, rows in sorted(per_village.items()):
                village = next(v for v in villages if v.code == village_code)
                township = townships[village.parent_id]
                on = _date(rng, fund_year, 5, 10)
                d = disburse(
                    allocation,
                    sum(fen for _, fen in rows),
                    on,
                    via=township,
                    payee=f"{township.name}财政所",
                )
                assert d.township_paid_on is not None
                Payment.objects.bulk_create(
                    Payment(
                        county=county,
                        disbursement=d,
                        kind=kind,
                        fund_year=fund_year,
                        payee_name=heads[h.household_id].name,
                        payee_id_number=heads[h.household_id].id_number,
                        member=heads[h.household_id],
                        household=h,
                        village=village,
                        amount=_fen(fen),
                        paid_on=d.township_paid_on,
                    )
                    for h, fen in rows
                )
                counts["payments"] += len(rows)
                paid_villages[village_code] = max(
                    paid_villages.get(village_code, d.township_paid_on), d.township_paid_on
                )

        # 社会帮扶 and 信贷 go to the county pool
        for source in POOL_SOURCES:
            fen = rng.randrange(100_000, 500_000) * 100 + rng.randrange(100)
            allocation = allocate(source, fund_year, fen, None, _date(rng, fund_year, 3, 5))
            kept = fen * rng.randint(*retention) // 100
            disburse(
                allocation, fen - kept, _date(rng, fund_year, 6, 11), payee=f"{county.name}扶贫办"
            )
            left[(source, fund_year)] += kept

        # 涉农资金整合计划: everything planned was integrated; the plan covers ~90 % of the scope
        planned = allocated_total[("整合涉农资金", fund_year)]
        if planned:
            IntegrationPlan.objects.create(
                county=county,
                year=fund_year,
                in_scope_amount=_fen(planned * 100 // rng.randint(82, 95)),
                planned_amount=_fen(planned),
            )

        # 公告公示: county, township and village notices before 31 December of the fund year
        deadline = policy.notice_deadline(fund_year)
        allocation_notice = Notice.objects.create(
            region=county,
            level="县",
            kind="资金分配",
            fund_year=fund_year,
            title=f"{county.name}{fund_year}年财政专项扶贫资金分配结果公告",
            published_on=_date(rng, fund_year, 5, 5),
        )
        county_projects = Notice.objects.create(
            region=county,
            level="县",
            kind="项目安排",
            fund_year=fund_year,
            title=f"{county.name}{fund_year}年扶贫项目安排公示",
            published_on=_date(rng, fund_year, 3, 3),
        )
        county_projects.projects.add(*year_projects)
        counts["notices"] += 2
        del allocation_notice
        by_township: dict[str, list[Project]] = defaultdict(list)
        for p in year_projects:
            assert p.village is not None
            by_township[p.village.parent_id or county_code].append(p)
            notice = Notice.objects.create(
                region=p.village,
                level="村",
                kind="项目安排",
                fund_year=fund_year,
                title=f"{p.village.name}{fund_year}年扶贫项目公示",
                published_on=min(p.approved_on + dt.timedelta(days=7), deadline),  # type: ignore[operator]
            )
            notice.projects.add(p)
            counts["notices"] += 1
        for township_code, items in sorted(by_township.items()):
            township = townships.get(township_code, county)
            notice = Notice.objects.create(
                region=township,
                level="乡",
                kind="项目安排",
                fund_year=fund_year,
                title=f"{township.name}{fund_year}年扶贫项目安排公示",
                published_on=_date(rng, fund_year, 3, 3),
            )
            notice.projects.add(*items)
            counts["notices"] += 1
        for village_code, last_paid in sorted(paid_villages.items()):
            village = next(v for v in villages if v.code == village_code)
            Notice.objects.create(
                region=village,
                level="村",
                kind="到户资金",
                fund_year=fund_year,
                title=f"{village.name}{fund_year}年到户扶贫资金发放公示",
                published_on=min(last_paid + dt.timedelta(days=3), deadline),
                ends_on=min(last_paid + dt.timedelta(days=10), deadline),
            )
            counts["notices"] += 1

    # 结转结余 reported at the check date: exactly what the books leave, per source and year
    CarryOver.objects.bulk_create(
        CarryOver(
            county=county,
            source=source,
            fund_year=fund_year,
            as_of=check_day,
            amount=_fen(left[(source, fund_year)]),
        )
        for source, fund_year in sorted(allocated_total)
    )
    counts["carryovers"] = len(allocated_total)
    result.counts = dict(counts)
    return result

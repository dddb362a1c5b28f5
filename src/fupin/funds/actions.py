"""State changes of the funds app: each `do_…` makes one change atomically, with the acting user,
and writes a FundsLog row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from fupin.engine.funds import figures as f
from fupin.engine.funds.findings import Finding
from fupin.engine.funds.projects_format import PAYMENT_KINDS, STATUS_NEEDS
from fupin.funds.models import (
    Allocation,
    CarryOver,
    Disbursement,
    FundsLog,
    Notice,
    Payment,
    Project,
)
from fupin.registry.models import Member, Region


class FundsActionError(ValueError):
    """The change breaks a rule; str() says which, in Chinese."""


def _log(user: Any, action: str, subject: str, **details: object) -> None:
    FundsLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        action=action,
        subject=subject,
        details={k: str(v) for k, v in details.items()},
    )


@transaction.atomic
def do_set_milestone(project: Project, milestone: str, on: dt.date, *, acting_user: Any) -> Project:
    """Record 批复/开工/完工/验收 (approved_on … accepted_on) and move the status with it."""
    order = ("approved_on", "started_on", "completed_on", "accepted_on")
    if milestone not in order:
        raise FundsActionError(f"未知的项目节点：{milestone}")
    before = order[: order.index(milestone)]
    for name in before:
        earlier = getattr(project, name)
        if earlier is None:
            raise FundsActionError(
                f"项目{project.code}尚未记录{Project._meta.get_field(name).verbose_name}"
            )
        if on < earlier:
            raise FundsActionError(
                f"日期不能早于{Project._meta.get_field(name).verbose_name}（{earlier.isoformat()}）"
            )
    setattr(project, milestone, on)
    project.status = next(s for s, m in STATUS_NEEDS.items() if m == milestone)
    project.save()
    _log(acting_user, "项目节点", project.code, milestone=milestone, on=on)
    return project


@transaction.atomic
def do_disburse(
    allocation: Allocation,
    amount: Decimal,
    on: dt.date,
    *,
    acting_user: Any,
    project: Project | None = None,
    township: Region | None = None,
    payee: str = "",
    voucher: str = "",
) -> Disbursement:
    """拨付 from an allocation; never more than what is left of it."""
    amount = f.yuan(amount)
    if amount <= 0:
        raise FundsActionError("拨付金额应大于0")
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    spent = sum((d.amount for d in allocation.disbursements.all()), Decimal(0))
    if f.yuan(spent) + amount > f.yuan(allocation.amount):
        raise FundsActionError(
            f"拨付后超过下达金额：下达{allocation.amount}元，已拨付{f.yuan(spent)}元，本次{amount}元"
        )
    if township is not None and township.level != "乡":
        raise FundsActionError(f"{township.name}不是乡镇")
    d = Disbursement.objects.create(
        allocation=allocation,
        project=project,
        township=township,
        payee=payee,
        disbursed_on=on,
        amount=amount,
    )
    _log(acting_user, "拨付", str(allocation), amount=amount, on=on)
    return d


@transaction.atomic
def do_record_payment(
    county: Region,
    *,
    kind: str,
    fund_year: int,
    payee_name: str,
    payee_id_number: str,
    amount: Decimal,
    paid_on: dt.date,
    acting_user: Any,
    disbursement: Disbursement | None = None,
    village: Region | None = None,
) -> Payment:
    """到户资金 as paid; the payee is matched to the registry by ID number (checks flag the rest)."""
    if kind not in PAYMENT_KINDS:
        raise FundsActionError(f"补助类型应为：{'、'.join(PAYMENT_KINDS)}")
    member = (
        Member.objects.filter(id_number=payee_id_number.upper()).select_related("household").first()
    )
    household = member.household if member else None
    payment = Payment.objects.create(
        county=county,
        disbursement=disbursement,
        kind=kind,
        fund_year=fund_year,
        payee_name=payee_name,
        payee_id_number=payee_id_number.upper(),
        member=member,
        household=household,
        village=village or (household.region if household else None),
        amount=f.yuan(amount),
        paid_on=paid_on,
    )
    _log(acting_user, "到户资金", payee_name, kind=kind, amount=amount, matched=bool(member))
    return payment


@transaction.atomic
def do_report_carryover(
    county: Region,
    source: str,
    fund_year: int,
    as_of: dt.date,
    amount: Decimal,
    *,
    acting_user: Any,
) -> CarryOver:
    row, _ = CarryOver.objects.update_or_create(
        county=county,
        source=source,
        fund_year=fund_year,
        as_of=as_of,
        defaults={"amount": f.yuan(amount)},
    )
    _log(acting_user, "结转结余", f"{fund_year}年{source}", amount=amount, as_of=as_of)
    return row


@transaction.atomic
def do_publish_notice(
    region: Region,
    *,
    kind: str,
    fund_year: int,
    published_on: dt.date,
    acting_user: Any,
    projects: list[Project] | None = None,
    ends_on: dt.date | None = None,
) -> Notice:
    if region.level not in ("县", "乡", "村"):
        raise FundsActionError(f"{region.name}不是县、乡或村")
    notice = Notice.objects.create(
        region=region,
        level=region.level,
        kind=kind,
        fund_year=fund_year,
        title=f"{region.name}{fund_year}年扶贫{kind}公示",
        published_on=published_on,
        ends_on=ends_on,
    )
    if projects:
        notice.projects.add(*projects)
    _log(acting_user, "发布公示", notice.title, published_on=published_on)
    return notice


def finding_ref(finding: Finding) -> str:
    """The ledger's 来源编号 of a finding: stable across runs, so a finding is registered once."""
    return f"funds:{finding.rule}:{finding.region_code}:{finding.subject}"[:200]


def do_register_findings(
    findings: list[Finding], *, acting_user: Any, due: dt.date | None = None
) -> int:
    """Put funds findings in the rectification ledger (整改台账) of the governance app.

    A finding already in the ledger and not closed is not registered again; returns how many
    were added.
    """
    from fupin.governance.actions import do_register_problem
    from fupin.governance.models import Problem

    added = 0
    with transaction.atomic():
        for finding in findings:
            ref = finding_ref(finding)
            if Problem.objects.filter(source_ref=ref).open().exists():
                continue
            do_register_problem(
                acting_user=acting_user,
                text=f"【{finding.name}】{finding.subject}：{finding.message}",
                source_kind="inspection",
                source_ref=ref,
                region_code=finding.region_code or finding.county_code,
                due=due,
                figures=[
                    {
                        "规则": finding.name,
                        "出处": finding.source,
                        "金额": str(finding.amount or ""),
                    }
                ],
            )
            added += 1
    return added

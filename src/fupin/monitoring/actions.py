"""The monitoring loop as actions: identify → verify → measures → follow-up → 风险消除 or 返贫.

Each `do_…` makes one change atomically, takes the acting user as a keyword argument and writes
a CaseEvent with what it did; none trusts its caller about the state of the case. 返贫 is not
written here: it is asked for as a dynamic adjustment (the site's approval workflow when it is
installed) and applied by `fupin.registry.adjustments.apply_adjustment` once approved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from fupin.engine.monitoring.scan import scan
from fupin.engine.standard_format import MEASURE_KINDS
from fupin.monitoring import data
from fupin.monitoring.models import (
    REPORT_RISK_TYPES,
    SOURCE_COMPARISON,
    SOURCE_REGISTRY,
    SOURCES,
    Case,
    CaseEvent,
    CaseMeasure,
    CaseVisit,
    EdgeHousehold,
    Risk,
)
from fupin.registry.models import Household, Region, Visit


class MonitoringError(ValueError):
    """A step that does not fit the case; str() says why, in Chinese."""


def _event(case: Case, action: str, user, **detail) -> None:
    CaseEvent.objects.create(
        case=case, action=action, user=user if _real(user) else None, detail=detail
    )


def _real(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _user(user):
    return user if _real(user) else None


def _policy_days(name: str) -> int:
    return int(data.policy().number(name))


def _open_case(
    *, household: Household | None, edge: EdgeHousehold | None, on: dt.date, user
) -> tuple[Case, bool]:
    """The open case of the household, or a new one to verify."""
    existing = Case.objects.filter(
        household=household, edge=edge, state__in=Case.OPEN_STATES
    ).first()
    if existing is not None:
        return existing, False
    region_id = household.region_id if household is not None else edge.region_id  # type: ignore[union-attr]
    case = Case.objects.create(
        household=household,
        edge=edge,
        region_id=region_id,
        helper_id=household.helper_id if household is not None else None,
        state=Case.TO_VERIFY,
        identified_on=on,
        identified_by=_user(user),
        verify_due=on + dt.timedelta(days=_policy_days("verify_within_days")),
    )
    _event(case, "识别", user, on=on.isoformat())
    return case, True


def _check_risk(risk_type: str, source: str) -> None:
    known = (*data.policy().risk_types, *REPORT_RISK_TYPES)
    if risk_type not in known:
        raise MonitoringError(
            f"未知的风险类型“{risk_type}”，可选：{'、'.join(dict.fromkeys(known))}"
        )
    if source not in SOURCES:
        raise MonitoringError(f"未知的风险来源“{source}”，可选：{'、'.join(SOURCES)}")


@transaction.atomic
def do_report_risk(
    household: Household,
    *,
    risk_type: str,
    source: str,
    detail: str,
    detected_on: dt.date,
    acting_user,
    rule_id: str = "",
) -> Case:
    """A risk of a registered household, reported (household, cadre, visit, comparison)."""
    _check_risk(risk_type, source)
    case, _ = _open_case(household=household, edge=None, on=detected_on, user=acting_user)
    Risk.objects.create(
        case=case,
        risk_type=risk_type,
        source=source,
        rule_id=rule_id,
        detail=detail,
        detected_on=detected_on,
        recorded_by=_user(acting_user),
    )
    _event(case, "报告风险", acting_user, risk_type=risk_type, source=source, detail=detail)
    return case


@transaction.atomic
def do_report_edge_household(
    *,
    region: Region,
    head_name: str,
    people: int,
    situation: str,
    risk_type: str,
    source: str,
    detected_on: dt.date,
    acting_user,
    id_number: str = "",
    phone: str = "",
    per_capita_income: Decimal | None = None,
) -> Case:
    """边缘户: a household not in the register, reported as at risk; opens a case."""
    _check_risk(risk_type, source)
    if region.level != "村":
        raise MonitoringError(f"边缘户应登记到村，{region.name}是{region.level}级")
    if not head_name.strip():
        raise MonitoringError("请填写户主姓名")
    if id_number:
        from fupin.engine import idcard

        reason = idcard.explain(id_number)
        if reason:
            raise MonitoringError(f"户主身份证号有误：{reason}")
        if Household.objects.filter(head_id_number=id_number).exists():
            raise MonitoringError("该户主已是建档立卡户，请直接为该户报告风险")
    edge = EdgeHousehold.objects.create(
        region=region,
        head_name=head_name.strip(),
        id_number=id_number,
        phone=phone,
        people=people,
        per_capita_income=per_capita_income,
        situation=situation,
        reported_by=_user(acting_user),
    )
    case, _ = _open_case(household=None, edge=edge, on=detected_on, user=acting_user)
    Risk.objects.create(
        case=case,
        risk_type=risk_type,
        source=source,
        detail=situation,
        detected_on=detected_on,
        recorded_by=_user(acting_user),
    )
    _event(case, "报告边缘户", acting_user, risk_type=risk_type, source=source)
    return case


@dataclass
class ScanResult:
    hits: int = 0
    new_cases: list[int] = field(default_factory=list)
    new_risks: int = 0
    skipped: int = 0  # already monitored for that rule (open, or closed within the cool-down)


@transaction.atomic
def do_scan_registry(region_code: str, *, acting_user, as_of: dt.date | None = None) -> ScanResult:
    """Run the policy's rules over the registry of a region; open cases for the new hits."""
    as_of = as_of or data.today()
    policy = data.policy()
    con = data.registry_connection(region_code or None)
    hits = scan(con, policy, as_of=as_of, region=region_code or None)
    cooldown = as_of - dt.timedelta(days=int(policy.number("rescan_cooldown_days")))
    result = ScanResult(hits=len(hits))
    ids = sorted({h.household_id for h in hits})
    recent = set(
        Risk.objects.filter(case__household_id__in=ids, source=SOURCE_REGISTRY)
        .exclude(case__state__in=[Case.REMOVED, Case.DISMISSED], case__closed_on__lt=cooldown)
        .exclude(case__state=Case.RETURNED)
        .values_list("case__household_id", "rule_id")
    )
    households = Household.objects.in_bulk(ids)
    for hit in hits:
        if (hit.household_id, hit.rule_id) in recent:
            result.skipped += 1
            continue
        household = households[hit.household_id]
        case, created = _open_case(household=household, edge=None, on=as_of, user=acting_user)
        if created:
            result.new_cases.append(case.pk)
        Risk.objects.create(
            case=case,
            risk_type=hit.risk_type,
            source=SOURCE_REGISTRY,
            rule_id=hit.rule_id,
            detail=hit.explanation(),
            detected_on=as_of,
            recorded_by=_user(acting_user),
        )
        _event(case, "规则识别", acting_user, rule=hit.rule_id, detail=hit.explanation())
        recent.add((hit.household_id, hit.rule_id))
        result.new_risks += 1
    return result


# Comparison findings (fupin.comparison) that are a risk of returning to poverty when the
# household has exited, and the risk type each one stands for.
COMPARISON_RISKS = {
    "danger_house": "灾害",  # 住建鉴定为危房：住房不安全
    "disabled_mismatch": "残疾",  # 残联名单有而登记为非残疾：新发生的残疾
    "dropout": "教育支出",  # 义务教育阶段辍学疑似
    "uninsured_medical": "医疗支出",  # 未参加基本医疗保险：大额医疗支出无保障
}
COMPARISON_PREFIX = "比对:"


@transaction.atomic
def do_import_comparison_findings(
    run, *, acting_user, region_code: str = "", as_of: dt.date | None = None
) -> ScanResult:
    """Turn the findings of a comparison run about exited households into risks (source
    比对发现); a household already monitored for the same finding is skipped."""
    as_of = as_of or data.today()
    findings = run.findings.filter(finding_id__in=list(COMPARISON_RISKS)).exclude(household_id="")
    if region_code:
        from fupin.registry import regions

        low, high = regions.subtree_range(region_code)
        findings = findings.filter(region_code__gte=low, region_code__lte=high)
    rows = list(findings.values_list("household_id", "finding_id", "finding_name", "detail"))
    households = Household.objects.filter(
        household_id__in={r[0] for r in rows}, status="已脱贫"
    ).in_bulk()
    known = set(
        Risk.objects.filter(
            case__household_id__in=list(households), rule_id__startswith=COMPARISON_PREFIX
        )
        .exclude(case__state__in=[Case.REMOVED, Case.DISMISSED, Case.RETURNED])
        .values_list("case__household_id", "rule_id")
    )
    result = ScanResult(hits=len(rows))
    for household_id, finding_id, name, detail in rows:
        household = households.get(household_id)
        rule_id = COMPARISON_PREFIX + finding_id
        if household is None or (household_id, rule_id) in known:
            result.skipped += 1
            continue
        case, created = _open_case(household=household, edge=None, on=as_of, user=acting_user)
        if created:
            result.new_cases.append(case.pk)
        Risk.objects.create(
            case=case,
            risk_type=COMPARISON_RISKS[finding_id],
            source=SOURCE_COMPARISON,
            rule_id=rule_id,
            detail=f"{name}：{detail}",
            detected_on=as_of,
            recorded_by=_user(acting_user),
        )
        _event(case, "比对识别", acting_user, finding=finding_id, run=run.pk)
        known.add((household_id, rule_id))
        result.new_risks += 1
    return result


def _visit(case: Case, purpose: str, visited_on: dt.date, visitor: str, findings: str, user):
    if not visitor.strip() or not findings.strip():
        raise MonitoringError("请填写走访人和走访情况")
    if visited_on > data.today():
        raise MonitoringError("走访日期不能晚于今天")
    if visited_on < case.identified_on:
        raise MonitoringError("走访日期不能早于识别日期")
    registry_visit = None
    if case.household_id:
        registry_visit = Visit.objects.create(
            household_id=case.household_id,
            visitor=visitor,
            visitor_role="帮扶责任人" if case.helper_id else "其他",
            helper_id=case.helper_id,
            visited_on=visited_on,
            findings=findings,
            problems="；".join(case.risks.values_list("risk_type", flat=True).distinct()),
            follow_up=f"返贫监测：{purpose}",
            recorded_by=_user(user),
        )
    return CaseVisit.objects.create(
        case=case,
        purpose=purpose,
        visited_on=visited_on,
        visitor=visitor,
        findings=findings,
        due_on=case.next_follow_up if purpose == CaseVisit.FOLLOW_UP else case.verify_due,
        visit=registry_visit,
        recorded_by=_user(user),
    )


def _locked(case_id: int) -> Case:
    return Case.objects.select_for_update().get(pk=case_id)


@transaction.atomic
def do_verify(
    case: Case, *, confirmed: bool, visited_on: dt.date, visitor: str, findings: str, acting_user
) -> Case:
    """The verification visit: the risk is confirmed (监测中) or not (核实排除)."""
    case = _locked(case.pk)
    if case.state != Case.TO_VERIFY:
        raise MonitoringError(f"该监测对象状态为“{case.state}”，只有待核实的对象可以入户核实")
    _visit(case, CaseVisit.VERIFY, visited_on, visitor, findings, acting_user)
    case.verified_on = visited_on
    case.verified_by = _user(acting_user)
    if confirmed:
        case.state = Case.MONITORING
        case.next_follow_up = visited_on + dt.timedelta(days=_policy_days("follow_up_days"))
    else:
        case.state = Case.DISMISSED
        case.closed_on = visited_on
        case.closed_by = _user(acting_user)
        case.close_reason = f"入户核实未发现风险：{findings}"
        case.next_follow_up = None
    case.save()
    _event(case, "入户核实", acting_user, confirmed=confirmed, on=visited_on.isoformat())
    return case


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value or "0"))
    except InvalidOperation:
        raise MonitoringError(f"金额“{value}”不是数字") from None
    if amount < 0:
        raise MonitoringError("金额不能为负")
    return amount


@transaction.atomic
def do_assign_measure(
    case: Case,
    *,
    kind: str,
    description: str,
    assigned_on: dt.date,
    acting_user,
    amount: Decimal | str | None = None,
) -> CaseMeasure:
    """A support measure for a verified case (kinds: the registry's measure kinds)."""
    case = _locked(case.pk)
    if case.state != Case.MONITORING:
        raise MonitoringError(f"该监测对象状态为“{case.state}”，核实确认后才能落实帮扶措施")
    if kind not in MEASURE_KINDS:
        raise MonitoringError(f"未知的措施类型“{kind}”，可选：{'、'.join(MEASURE_KINDS)}")
    if not description.strip():
        raise MonitoringError("请填写措施内容")
    measure = CaseMeasure.objects.create(
        case=case,
        kind=kind,
        description=description.strip(),
        amount=_amount(amount),
        assigned_on=assigned_on,
        assigned_by=_user(acting_user),
    )
    _event(case, "落实措施", acting_user, kind=kind, description=description)
    return measure


@transaction.atomic
def do_follow_up(
    case: Case, *, visited_on: dt.date, visitor: str, findings: str, acting_user
) -> CaseVisit:
    """A follow-up visit; the next one is due `follow_up_days` later."""
    case = _locked(case.pk)
    if case.state != Case.MONITORING:
        raise MonitoringError(f"该监测对象状态为“{case.state}”，只有监测中的对象需要跟踪回访")
    visit = _visit(case, CaseVisit.FOLLOW_UP, visited_on, visitor, findings, acting_user)
    case.next_follow_up = visited_on + dt.timedelta(days=_policy_days("follow_up_days"))
    case.save(update_fields=["next_follow_up"])
    _event(case, "跟踪回访", acting_user, on=visited_on.isoformat())
    return visit


@transaction.atomic
def do_remove_risk(case: Case, *, reason: str, closed_on: dt.date, acting_user) -> Case:
    """风险消除: closes a case that was verified and followed up at least once."""
    case = _locked(case.pk)
    if case.state != Case.MONITORING:
        raise MonitoringError(f"该监测对象状态为“{case.state}”，只有监测中的对象可以标注风险消除")
    if not case.visits.filter(purpose=CaseVisit.FOLLOW_UP).exists():
        raise MonitoringError("标注风险消除前至少要有一次跟踪回访")
    if not reason.strip():
        raise MonitoringError("请说明风险消除的依据")
    case.state = Case.REMOVED
    case.closed_on = closed_on
    case.closed_by = _user(acting_user)
    case.close_reason = reason.strip()
    case.next_follow_up = None
    case.save()
    _event(case, "风险消除", acting_user, reason=reason, on=closed_on.isoformat())
    return case


def _adjustment_model():
    if apps.is_installed("fupin.web"):
        try:
            return apps.get_model("web", "AdjustmentRequest")
        except LookupError:
            return None
    return None


@transaction.atomic
def do_request_return(case: Case, *, reason: str, acting_user) -> Case:
    """Ask for 返贫: a dynamic adjustment request, applied to the registry once approved."""
    case = _locked(case.pk)
    if case.state != Case.MONITORING:
        raise MonitoringError(f"该监测对象状态为“{case.state}”，只有监测中的对象可以申请返贫")
    if case.household_id is None:
        raise MonitoringError("边缘户不是建档立卡户，应通过“新识别”纳入，不能标注返贫")
    if case.household.status != "已脱贫":
        raise MonitoringError(f"只有已脱贫户可以返贫，该户为“{case.household.status}”")
    if not reason.strip():
        raise MonitoringError("请说明返贫的理由")
    model = _adjustment_model()
    if model is not None:
        request = model.objects.create(
            household_id=case.household_id,
            kind="返贫",
            year=data.today().year,
            reason=f"返贫监测：{reason.strip()}",
            requested_by=_user(acting_user),
        )
        case.adjustment_request_id = request.pk
    case.state = Case.RETURN_PENDING
    case.return_requested_by = _user(acting_user)
    case.close_reason = reason.strip()
    case.save()
    _event(case, "申请返贫", acting_user, reason=reason, request=case.adjustment_request_id)
    return case


@transaction.atomic
def do_decide_return(case: Case, *, approve: bool, note: str, acting_user) -> Case:
    """The reviewer's decision on 返贫; approval writes 返贫 into the registry."""
    case = _locked(case.pk)
    if case.state != Case.RETURN_PENDING:
        raise MonitoringError(f"该监测对象状态为“{case.state}”，没有待审批的返贫申请")
    if _real(acting_user) and acting_user.pk == case.return_requested_by_id:
        raise MonitoringError("返贫申请须由申请人以外的审核人员审批")
    now = timezone.now()
    model = _adjustment_model()
    request = None
    if model is not None and case.adjustment_request_id:
        request = model.objects.select_for_update().filter(pk=case.adjustment_request_id).first()
    if approve:
        _apply_return(case.household_id, now.year, acting_user)
        case.state = Case.RETURNED
        case.closed_on = timezone.localdate()
        case.closed_by = _user(acting_user)
        case.next_follow_up = None
    else:
        case.state = Case.MONITORING
    if request is not None:
        request.state = "已批准" if approve else "已驳回"
        request.reviewed_by = _user(acting_user)
        request.reviewed_at = now
        request.review_note = note
        request.save()
    case.save()
    _event(case, "审批返贫", acting_user, approve=approve, note=note)
    return case


def _apply_return(household_id: str, year: int, acting_user) -> None:
    try:
        from fupin.registry.adjustments import apply_adjustment
    except ImportError:  # the registry without its dynamic-adjustment module
        from fupin.registry.actions import do_update_household

        do_update_household(
            household_id,
            {"status": "返贫", "exit_year": ""},
            acting_user=acting_user,
            source="动态调整：返贫（返贫监测）",
        )
        return
    apply_adjustment(household_id, "返贫", year, acting_user=acting_user)


def sync_returns(cases) -> int:
    """Cases waiting for 返贫 whose household the registry now holds as 返贫 (approved through
    the site's adjustment pages) are closed as 返贫; returns how many."""
    n = 0
    for case in cases.filter(state=Case.RETURN_PENDING, household__status="返贫"):
        with transaction.atomic():
            case.state = Case.RETURNED
            case.closed_on = timezone.localdate()
            case.next_follow_up = None
            case.save()
            _event(case, "返贫已入库", None)
        n += 1
    return n

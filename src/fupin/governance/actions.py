"""State changes of the governance ledgers, made by a person or a command.

Each `do_…` makes one change atomically, takes the acting user as a keyword argument and writes
an AuditEntry with structured details. Rule violations raise GovernanceError with a Chinese
message naming the rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from fupin.governance import procedure
from fupin.governance.models import (
    AuditEntry,
    CountyExit,
    Evidence,
    ExitDocument,
    ExitStep,
    GovernanceMembership,
    HouseholdExit,
    HouseholdExitStep,
    Organisation,
    Problem,
    ProblemNote,
    ProgressReport,
    ReportAttachment,
    Task,
)


class GovernanceError(ValueError):
    """A change the rules do not allow; the message is for the user."""


def _audit(acting_user: Any, action: str, obj: Any, **details: Any) -> None:
    AuditEntry.objects.create(
        acting_user=acting_user if getattr(acting_user, "pk", None) else None,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        details=_jsonable(details),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- organisations


def infer_kind(name: str) -> str:
    if "党委" in name and "政府" in name:
        return "党委和政府"
    for kind, words in (
        ("金融机构", ("银行", "支行", "分行", "银监", "保监", "证监", "信用社", "农发行")),
        ("企业", ("公司",)),
        ("群团", ("团省委", "团县委", "妇联", "残联", "工商联", "总工会", "科协", "光彩促进会")),
        ("工作机构", ("指挥部", "领导小组", "办公室", "督察组", "工作队", "联席", "整合办")),
    ):
        if any(w in name for w in words):
            return kind
    return "部门"


def resolve_organisation(
    name: str, region_code: str, region_name: str = "", aliases: dict[str, str] | None = None
) -> Organisation:
    """The unit a document names, by its canonical name in the region (created if new)."""
    canonical = (aliases or {}).get(name, name)
    org = Organisation.objects.filter(region_code=region_code, name=canonical).first()
    if org is None:
        org = Organisation.objects.create(
            name=canonical,
            region_code=region_code,
            region_name=region_name,
            kind=infer_kind(canonical),
        )
    if canonical != name and name not in org.aliases.splitlines():
        org.aliases = "\n".join([*filter(None, org.aliases.splitlines()), name])
        org.save(update_fields=["aliases"])
    return org


def do_add_membership(
    user: Any, organisation: Organisation, *, role: str = "办理", acting_user: Any
) -> GovernanceMembership:
    with transaction.atomic():
        m, _ = GovernanceMembership.objects.update_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
        _audit(
            acting_user,
            "add_membership",
            m,
            user=user.get_username(),
            organisation=organisation.name,
            role=role,
        )
    return m


# ---------------------------------------------------------------- tasks


def do_set_task_status(
    task: Task, status: str, *, acting_user: Any, completed_on: dt.date | None = None
) -> None:
    if status not in dict(Task.STATUSES):
        raise GovernanceError(f"未知的任务状态：{status}")
    with transaction.atomic():
        before = task.status
        task.status = status
        task.completed_on = (completed_on or timezone.localdate()) if status == "done" else None
        task.save(update_fields=["status", "completed_on"])
        _audit(
            acting_user,
            "set_task_status",
            task,
            before=before,
            after=status,
            completed_on=task.completed_on,
        )


def do_submit_progress_report(
    task: Task,
    *,
    acting_user: Any,
    period: str,
    text: str,
    organisation: Organisation | None = None,
    figures: dict[str, Any] | None = None,
    files: Iterable[tuple[str, bytes | File]] = (),
) -> ProgressReport:
    """进展报送 for one period; a unit may report only on tasks it leads or co-operates on."""
    if not text.strip():
        raise GovernanceError("进展情况不能为空")
    if organisation is not None and not task.units.filter(organisation=organisation).exists():
        raise GovernanceError(f"{organisation.name}不是该任务的牵头或协同单位，不能报送进展")
    with transaction.atomic():
        report = ProgressReport.objects.create(
            task=task,
            organisation=organisation,
            period=period,
            text=text,
            figures=figures or {},
            submitted_by=acting_user,
        )
        for name, content in files:
            f = content if isinstance(content, File) else ContentFile(content)
            att = ReportAttachment(report=report, name=name)
            att.file.save(name, f, save=True)
        if task.status == "not_started":
            task.status = "in_progress"
            task.save(update_fields=["status"])
        _audit(
            acting_user,
            "submit_progress_report",
            report,
            task=task.number,
            period=period,
            figures=figures or {},
        )
    return report


# ---------------------------------------------------------------- rectification


def do_register_problem(
    *,
    acting_user: Any,
    text: str,
    source_kind: str,
    region_code: str,
    source_ref: str = "",
    number: str = "",
    lead_unit: Organisation | None = None,
    responsible_units: Iterable[Organisation] = (),
    measures_text: str = "",
    due: dt.date | None = None,
    long_term: bool = False,
    figures: list[dict[str, Any]] | None = None,
) -> Problem:
    """A problem found (assessment, comparison finding, inspection, petition) enters the ledger."""
    from fupin.governance.models import SOURCE_KINDS

    if source_kind not in dict(SOURCE_KINDS):
        raise GovernanceError(f"未知的问题来源：{source_kind}")
    with transaction.atomic():
        position = (Problem.objects.filter(plan=None).aggregate(m=Max("position"))["m"] or 0) + 1
        p = Problem.objects.create(
            number=number or str(position),
            position=position,
            text=text,
            source_kind=source_kind,
            source_ref=source_ref,
            region_code=region_code,
            lead_unit=lead_unit,
            measures_text=measures_text,
            due=due,
            long_term=long_term,
            # jsonb (PostgreSQL) does not keep key order; keep it for display
            figures=[{**f, "_order": list(f)} for f in figures or []],
        )
        p.responsible_units.set(list(responsible_units))
        _audit(acting_user, "register_problem", p, source_kind=source_kind, source_ref=source_ref)
    return p


def do_add_problem_note(problem: Problem, text: str, *, acting_user: Any) -> ProblemNote:
    if not text.strip():
        raise GovernanceError("整改进展不能为空")
    with transaction.atomic():
        note = ProblemNote.objects.create(
            problem=problem, kind="progress", text=text, author=acting_user
        )
        _audit(acting_user, "add_problem_note", problem, note=note.pk)
    return note


def do_add_evidence(
    problem: Problem, name: str, content: bytes | File, description: str, *, acting_user: Any
) -> Evidence:
    if not description.strip():
        raise GovernanceError("请说明佐证材料的内容")
    with transaction.atomic():
        ev = Evidence(problem=problem, description=description, uploaded_by=acting_user)
        ev.file.save(
            name, content if isinstance(content, File) else ContentFile(content), save=True
        )
        _audit(acting_user, "add_evidence", problem, evidence=ev.pk, file=ev.file.name)
    return ev


def can_approve(user: Any) -> bool:
    if user is None:
        return False
    if getattr(user, "is_superuser", False):
        return True
    if GovernanceMembership.objects.filter(user=user, role__in=["审核", "负责人"]).exists():
        return True
    return bool({"审核员", "领导"} & set(_site_roles(user)))


def _site_roles(user: Any) -> list[str]:
    """The user's roles on the site (fupin.web), until the two role tables are unified."""
    from django.apps import apps

    if not apps.is_installed("fupin.web"):
        return []
    try:
        from fupin.web.access import user_roles
    except ImportError:
        return []
    return list(user_roles(user))


def do_close_problem(problem: Problem, *, acting_user: Any, approver: Any, note: str = "") -> None:
    """销号: only with evidence uploaded since the item was last (re)opened, and an approver."""
    with transaction.atomic():
        problem = Problem.objects.select_for_update().get(pk=problem.pk)
        if problem.status == "closed":
            raise GovernanceError("该问题已销号")
        since = (
            problem.notes.filter(kind="reopen")
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        evidence = problem.evidence.all()
        if since is not None:
            evidence = evidence.filter(uploaded_at__gte=since)
        if not evidence.exists():
            raise GovernanceError(
                "没有佐证材料，不能销号（规则：整改销号须有佐证材料"
                + ("，重新整改后须提交新的佐证材料" if since is not None else "")
                + "）"
            )
        if approver is None:
            raise GovernanceError("销号须经审核人审核（规则：整改销号须有审核人）")
        if getattr(approver, "pk", None) == getattr(acting_user, "pk", None):
            raise GovernanceError("审核人不能是销号经办人本人（规则：整改销号须有审核人）")
        if not can_approve(approver):
            raise GovernanceError(
                f"{approver.get_username()}没有审核销号的权限（须为单位审核人或负责人）"
            )
        problem.status = "closed"
        problem.closed_at = timezone.now()
        problem.closed_by = acting_user
        problem.approved_by = approver
        problem.save(update_fields=["status", "closed_at", "closed_by", "approved_by"])
        ProblemNote.objects.create(
            problem=problem, kind="close", text=note or "对账销号", author=acting_user
        )
        _audit(
            acting_user,
            "close_problem",
            problem,
            approver=approver.get_username(),
            evidence=list(evidence.values_list("pk", flat=True)),
        )


def do_reopen_problem(problem: Problem, reason: str, *, acting_user: Any) -> None:
    """重新整改: a check found a closed item not fixed; it counts as open again."""
    if not reason.strip():
        raise GovernanceError("请说明重新整改的原因（核查发现的问题）")
    with transaction.atomic():
        problem = Problem.objects.select_for_update().get(pk=problem.pk)
        if problem.status != "closed":
            raise GovernanceError("只有已销号的问题才能重新整改")
        problem.status = "reopened"
        problem.reopen_count += 1
        problem.closed_at = None
        problem.save(update_fields=["status", "reopen_count", "closed_at"])
        ProblemNote.objects.create(problem=problem, kind="reopen", text=reason, author=acting_user)
        _audit(acting_user, "reopen_problem", problem, reason=reason)


# ---------------------------------------------------------------- county exit


def do_start_county_exit(
    *,
    acting_user: Any,
    county_code: str,
    county_name: str,
    year: int,
    national: bool = False,
    policy: str = procedure.DEFAULT_POLICY,
) -> CountyExit:
    proc = procedure.load(policy)
    with transaction.atomic():
        if CountyExit.objects.filter(county_code=county_code, year=year).exists():
            raise GovernanceError(f"{county_name}{year}年的退出程序已经建立")
        ce = CountyExit.objects.create(
            county_code=county_code,
            county_name=county_name,
            year=year,
            national=national,
            policy=proc.id,
            state=proc.first.id,
        )
        _audit(acting_user, "start_county_exit", ce, policy=proc.id, national=national)
    return ce


def do_record_exit_step(
    county_exit: CountyExit,
    *,
    acting_user: Any,
    step: str,
    decided_on: dt.date,
    deciding_body: str = "",
    documents: Iterable[str] = (),
    figures: dict[str, Any] | None = None,
    note: str = "",
    outcome: str | None = None,
    files: Iterable[tuple[str, bytes | File]] = (),
) -> ExitStep:
    """Record the decision of the county's current step; the policy's checks decide the outcome.

    `figures` holds what the engine and the assessment produced (incidence in percent, …);
    `outcome` may only be given for steps without checks (e.g. a returned city review).
    """
    proc = procedure.load(county_exit.policy)
    figures = dict(figures or {})
    files = list(files)
    documents = list(documents) + [name for name, _ in files if name not in documents]
    with transaction.atomic():
        ce = CountyExit.objects.select_for_update().get(pk=county_exit.pk)
        if ce.outcome:
            raise GovernanceError(f"{ce}已有结论（{ce.get_outcome_display()}），不能再录入环节")
        if step != ce.state:
            raise GovernanceError(
                f"当前环节是“{proc.step(ce.state).name}”，不能录入“{proc.step(step).name}”"
            )
        s = proc.step(step)
        try:
            verdict = procedure.judge(s, figures, documents)
        except procedure.ProcedureError as exc:
            raise GovernanceError(str(exc)) from exc
        if outcome is not None and outcome != "passed":
            if s.checks:
                raise GovernanceError(f"{s.name}的结论由政策规则判定，不能手工指定")
            verdict = procedure.Verdict(outcome=outcome, message=note, back_to=proc.first.id)
        deadline = s.deadline_for(ce.year)
        record = ExitStep.objects.create(
            county_exit=ce,
            step=s.id,
            step_name=s.name,
            outcome=verdict.outcome,
            decided_on=decided_on,
            deciding_body=deciding_body or s.body,
            decided_by=acting_user,
            documents=documents,
            figures=_jsonable(figures),
            rule=verdict.rule,
            message="；".join(
                x
                for x in (
                    verdict.message,
                    ("须开展专项整改：" + "、".join(verdict.special_rectification))
                    if verdict.special_rectification
                    else "",
                    note if verdict.message != note else "",
                )
                if x
            ),
            late=bool(deadline and decided_on > deadline),
            deadline=deadline,
        )
        for name, content in files:
            doc = ExitDocument(step=record, name=name)
            f = content if isinstance(content, File) else ContentFile(content)
            doc.file.save(name, f, save=True)
        if verdict.outcome == "passed":
            nxt = proc.next_step(s.id, national=ce.national)
            if nxt is None:
                ce.outcome = "exited"
            else:
                ce.state = nxt
        elif verdict.outcome == "rejected":
            ce.outcome = "rejected"
        elif verdict.outcome == "returned":
            ce.state = verdict.back_to or proc.first.id
        ce.save(update_fields=["state", "outcome"])
        _audit(
            acting_user,
            "record_exit_step",
            ce,
            step=s.id,
            outcome=verdict.outcome,
            rule=verdict.rule,
            figures=figures,
        )
    county_exit.refresh_from_db()
    return record


def exit_timeline(county_exit: CountyExit, today: dt.date) -> list[dict[str, Any]]:
    """The county's path through the procedure: each step with its deadline, records and lateness."""
    proc = procedure.load(county_exit.policy)
    records: dict[str, list[ExitStep]] = {}
    for r in county_exit.steps.all():
        records.setdefault(r.step, []).append(r)
    rows = []
    reached = True
    for s in proc.path(national=county_exit.national):
        deadline = s.deadline_for(county_exit.year)
        recs = records.get(s.id, [])
        current = county_exit.state == s.id and not county_exit.outcome
        done = any(r.outcome == "passed" for r in recs)
        rows.append(
            {
                "step": s,
                "deadline": deadline,
                "records": recs,
                "current": current,
                "done": done,
                "late": bool(
                    (current and deadline and today > deadline) or any(r.late for r in recs)
                ),
                "reached": reached,
            }
        )
        if current:
            reached = False
    return rows


# ---------------------------------------------------------------- household exit

HOUSEHOLD_EXIT_STEPS = ("民主评议", "村内公示", "乡镇审核", "县级审定")


def do_record_household_exit_step(
    household: Any,
    year: int,
    step: str,
    *,
    acting_user: Any,
    passed: bool,
    decided_on: dt.date,
    note: str = "",
    documents: Iterable[str] = (),
) -> HouseholdExit:
    """One step of 民主评议 → 村内公示 → 乡镇审核 → 县级审定; the last marks the household 已脱贫."""
    with transaction.atomic():
        he, _ = HouseholdExit.objects.select_for_update().get_or_create(
            household=household, year=year
        )
        if he.outcome:
            raise GovernanceError(
                f"{household}的{year}年退出程序已结束（{he.get_outcome_display()}）"
            )
        if step != he.state:
            raise GovernanceError(
                f"当前环节是“{he.state}”，须按民主评议、村内公示、乡镇审核、县级审定的顺序进行"
            )
        HouseholdExitStep.objects.create(
            household_exit=he,
            step=step,
            passed=passed,
            decided_on=decided_on,
            decided_by=acting_user,
            note=note,
            documents=list(documents),
        )
        if not passed:
            he.outcome = "stopped"
        elif step == HOUSEHOLD_EXIT_STEPS[-1]:
            from fupin.registry.actions import do_update_household

            do_update_household(
                household.pk,
                {"status": "已脱贫", "exit_year": str(year)},
                acting_user=acting_user,
                source="贫困户退出程序（县级审定）",
            )
            he.outcome = "exited"
        else:
            he.state = HOUSEHOLD_EXIT_STEPS[HOUSEHOLD_EXIT_STEPS.index(step) + 1]
        he.save(update_fields=["state", "outcome"])
        _audit(acting_user, "record_household_exit_step", he, step=step, passed=passed)
    return he

"""Pages of the site. Every household, member and region is reached through fupin.web.access."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fupin.engine import idcard
from fupin.engine.standard_format import ATTRIBUTES as HOUSEHOLD_ATTRIBUTES
from fupin.engine.standard_format import CAUSES, HOUSEHOLDS, MEMBERS, STATUSES
from fupin.registry.actions import InvalidChange, do_update_household
from fupin.registry.adjustments import KINDS, adjustment_changes, check_adjustment
from fupin.registry.adjustments import update_member as registry_update_member
from fupin.registry.models import Member, RecordVersion, Region, Visit
from fupin.web import access, accounts, audit, editing, stats
from fupin.web.masking import mask_field, mask_id, mask_phone
from fupin.web.models import AdjustmentRequest, AuditLog
from fupin.web.roles import PERMISSION_LABELS, PERMISSIONS
from fupin.web.verdicts import household_verdict

PAGE_SIZE = 20
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP rows, so a province-wide list costs a page, not a full count;
    past the cap the page says “超过10000条” and asks for a narrower search."""

    def __init__(self, object_list, per_page, *, count_column: str = "pk") -> None:
        super().__init__(object_list, per_page)
        # counting one indexed column lets the database count from the index alone
        self.count_column = count_column

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by().values(self.count_column)[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


def _ctx(request, **extra) -> dict:
    user = request.user
    perms = {p: access.can(user, p) for p in PERMISSIONS}
    return {"perms_": perms, "roles": access.user_roles(user), **extra}


# ---- log in / out ----------------------------------------------------------------------------


def login_view(request):
    form = AuthenticationForm(request, data=request.POST or None)
    locked = None
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        locked = accounts.locked_until(username)
        if locked is not None:
            audit.log(request, "登录被锁定", username, "账户锁定期间尝试登录", username=username)
            form = AuthenticationForm(request)
        elif form.is_valid():
            user = form.get_user()
            accounts.record_success(username)
            auth_login(request, user)
            audit.log(request, "登录", username, user=user)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = "web:home"
            return redirect(target)
        else:
            now_locked = accounts.record_failure(username)
            audit.log(request, "登录失败", username, username=username)
            if now_locked:
                locked = accounts.locked_until(username)
                audit.log(request, "账户锁定", username, "连续登录失败", username=username)
    return render(
        request,
        "web/login.html",
        {
            "form": form,
            "locked": timezone.localtime(locked) if locked else None,
            "next": request.GET.get("next", ""),
        },
    )


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit.log(request, "退出登录", request.user.get_username())
    auth_logout(request)
    return redirect("web:login")


# ---- home and region pages -------------------------------------------------------------------


@access.permission_required("view_figures")
def home(request):
    region = access.home_region(request.user)
    ctx = _ctx(request, region=region)
    if region is not None:
        ctx.update(_region_context(region))
    if access.can(request.user, "approve"):
        ctx["pending"] = _adjustments(request.user).filter(state=AdjustmentRequest.PENDING).count()
    if access.can(request.user, "edit"):
        ctx["my_requests"] = AdjustmentRequest.objects.filter(requested_by=request.user)[:10]
    return render(request, "web/home.html", ctx)


def _data_version() -> str:
    """Changes whenever the registry or the stored verdicts change (two index lookups)."""
    from django.db.models import Max

    from fupin.web.models import ExitVerdict

    registry = RecordVersion.objects.aggregate(m=Max("id"))["m"]
    verdicts = ExitVerdict.objects.aggregate(m=Max("id"))["m"]
    return f"{registry}:{verdicts}"


def _region_context(region: Region) -> dict:
    """The figures of a region page; the registry figures are cached until the data change."""
    from django.core.cache import cache

    key = f"fupin-web-region:{region.code}:{_data_version()}"
    heavy = cache.get(key)
    if heavy is None:
        heavy = _region_figures(region)
        cache.set(key, heavy, 3600)
    return {
        **heavy,
        "findings": stats.findings_figures(region),
        "overdue": stats.overdue_tasks(region, timezone.localdate()),
        "overdue_url": _url_or_empty("governance:tasks", "late=1"),
    }


def _region_figures(region: Region) -> dict:
    figures = stats.region_figures(region)
    verdicts = stats.verdict_figures(region)
    children = stats.children_figures(region)
    years = stats.years_figures(region)
    chart = {
        "status": [{"name": s, "value": n} for s, n, _ in figures["by_status"]],
        "causes": {
            "names": [c for c, _ in figures["by_cause"]],
            "values": [n for _, n in figures["by_cause"]],
        },
        "children": {
            "names": [c["region"].name for c in children],
            "codes": [c["region"].code for c in children],
            "series": [
                {"name": s, "data": [dict(c["by_status"])[s] for c in children]} for s in STATUSES
            ],
        },
        "years": years,
    }
    ancestors = []
    parent = region.parent
    while parent is not None:
        ancestors.insert(0, parent)
        parent = parent.parent
    return {
        "figures": figures,
        "verdicts": verdicts,
        "children": children,
        "chart": chart,
        "ancestors": ancestors,
    }


def _url_or_empty(name: str, query: str = "") -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return ""


@access.permission_required("view_figures")
def region_page(request, code: str):
    region = access.region_or_404(request.user, code)
    ctx = _ctx(request, region=region, **_region_context(region))
    ctx["ancestors"] = [a for a in ctx["ancestors"] if access.in_scope(request.user, a.code)]
    if region.level in ("村", "县"):
        from fupin.web.verdicts import region_verdict

        ctx["region_verdict"] = region_verdict(region.code)
    if region.level == "县":
        ctx["villages"] = stats.county_villages(region)
    if region.level == "村":
        ctx["indicators"] = getattr(region, "indicators", None) if _has_indicators(region) else None
        ctx["work_teams"] = region.work_teams.all()
        ctx["secretaries"] = region.first_secretaries.all()
        if access.can(request.user, "view_registry"):
            ctx["households"] = access.households(request.user).filter(region=region)[:200]
    return render(request, "web/region.html", ctx)


@access.permission_required("view_figures")
def region_years(request, code: str):
    """年度对比: the region's figures per year from the registry history, and its child regions'
    incidence this year against the year before."""
    from fupin.web import yearly

    region = access.region_or_404(request.user, code)
    years = yearly.history_years()
    table = yearly.years_table(region, years)
    by_year = {row["year"]: row for row in table}
    asked = request.GET.get("year", "")
    selected = int(asked) if asked.isdigit() and int(asked) in by_year else (years or [None])[-1]
    this = by_year.get(selected) if selected is not None else None
    last = by_year.get(selected - 1) if selected is not None else None
    rows = []
    for row in table:
        before = by_year.get(row["year"] - 1)
        rows.append(
            {
                **row,
                "change": yearly.change_in_points(
                    row["incidence"], before["incidence"] if before else None
                ),
            }
        )
    comparison = yearly.children_comparison(region, this, last) if this else []
    chart = {
        "years": [r["year"] for r in table],
        "statuses": [
            {"name": s, "data": [dict((x, n) for x, n, _ in r["by_status"])[s] for r in table]}
            for s in STATUSES
        ],
        "exited": [r["exited"] for r in table],
        "identified": [r["identified"] for r in table],
        "incidence": [r["incidence"] for r in table],
        "children": {
            "names": [c["region"].name for c in comparison],
            "codes": [c["region"].code for c in comparison],
            "this": [c["this"]["incidence"] for c in comparison],
            "last": [c["last"]["incidence"] if c["last"] else None for c in comparison],
        },
        "selected": selected,
    }
    ancestors = []
    parent = region.parent
    while parent is not None:
        if access.in_scope(request.user, parent.code):
            ancestors.insert(0, parent)
        parent = parent.parent
    return render(
        request,
        "web/years.html",
        _ctx(
            request,
            region=region,
            ancestors=ancestors,
            rows=rows,
            years=years,
            selected=selected,
            this=this,
            last=last,
            comparison=comparison,
            chart=chart,
            start=yearly.history_start(),
            statuses=STATUSES,
        ),
    )


def _has_indicators(region: Region) -> bool:
    from fupin.registry.models import VillageIndicator

    return VillageIndicator.objects.filter(region=region).exists()


# ---- household search and export ------------------------------------------------------------


def _search(request):
    from fupin.registry.models import Household

    user = request.user
    region = request.GET.get("region", "").strip()
    if region and not access.in_scope(user, region):
        return Household.objects.none()
    # a region inside the user's scope replaces the scope's range (one range on the region
    # index instead of two, so the narrower one is the one searched)
    # no join to the region table: with it SQLite may drive the query from regions and sort
    # every household of the scope; the page fetches its 20 villages separately
    qs = (Household.objects.within(region) if region else access.households(user)).prefetch_related(
        "region"
    )
    q = request.GET.get("q", "").strip()
    if q:
        ident = idcard.normalise(q)
        if len(ident) == 18:
            ids = access.members(user).filter(id_number=ident).values("household_id")
            qs = qs.filter(Q(head_id_number=ident) | Q(household_id__in=ids))
        else:
            names = access.members(user).filter(name=q).values("household_id")
            qs = qs.filter(Q(household_id=q) | Q(head_name=q) | Q(household_id__in=names))
    for param, column in (
        ("status", "status"),
        ("attribute", "attribute"),
        ("cause", "main_cause"),
    ):
        value = request.GET.get(param, "").strip()
        if value:
            qs = qs.filter(**{column: value})
    for param in ("exit_year", "identified_year"):  # the lists behind the year comparison
        value = request.GET.get(param, "").strip()
        if value:
            qs = qs.filter(**{param: int(value)}) if value.isdigit() else qs.none()
    verdict = request.GET.get("verdict", "").strip()
    criterion = request.GET.get("criterion", "").strip()
    if verdict or criterion:
        from fupin.web.models import ExitVerdict

        judged = ExitVerdict.objects.all()
        narrowest = region or access.user_region(user)
        if narrowest:  # the verdicts of the same subtree only (their region index)
            from fupin.registry import regions as region_codes

            low, high = region_codes.subtree_range(narrowest)
            judged = judged.filter(region_code__gte=low, region_code__lte=high)
        if verdict:
            judged = judged.filter(passed=verdict == "达标")
        if criterion:
            judged = judged.filter(
                Q(failed_criteria=criterion)
                | Q(failed_criteria__startswith=criterion + ";")
                | Q(failed_criteria__endswith=";" + criterion)
                | Q(failed_criteria__contains=";" + criterion + ";")
            )
        qs = qs.filter(household_id__in=judged.values("household_id"))
    finding = request.GET.get("finding", "").strip()
    if finding:
        found = stats.latest_findings()
        qs = (
            qs.none()
            if found is None
            else qs.filter(household_id__in=found.filter(finding_id=finding).values("household_id"))
        )
    # by village, then household: the region index gives the order, so a page needs no big sort
    return qs.order_by("region_id", "household_id")


@access.permission_required("view_registry")
def household_search(request):
    qs = _search(request)
    page = CappedPaginator(qs, PAGE_SIZE, count_column="region_id").get_page(
        request.GET.get("page")
    )
    villages = access.region_list(request.user).filter(level="村")
    params = request.GET.copy()
    params.pop("page", None)
    rows = [
        {
            "h": h,
            "head_id": mask_id(h.head_id_number),
        }
        for h in page.object_list
    ]
    return render(
        request,
        "web/search.html",
        _ctx(
            request,
            page=page,
            rows=rows,
            query=params.urlencode(),
            get=request.GET,
            villages=villages[:500] if villages.count() <= 500 else None,
            statuses=STATUSES,
            attributes=HOUSEHOLD_ATTRIBUTES,
            causes=CAUSES,
            verdict_choices=("达标", "未达标"),
            criteria=_criteria_choices(request.user),
            count_cap=COUNT_CAP,
        ),
    )


def _criteria_choices(user) -> list[tuple[str, str]]:
    """The household criteria of the exit policy of the user's province, for the filter."""
    from fupin.web.verdicts import criterion_names, policy_for

    region = access.home_region(user)
    if region is None:
        return []
    return sorted(criterion_names(policy_for(region.code)).items())


@access.permission_required("export")
def household_export(request):
    from fupin.web.exports import search_workbook

    qs = _search(request)
    ids = list(qs.values_list("household_id", flat=True))
    scope = access.user_region(request.user) or None
    data = search_workbook(ids, scope)
    audit.log(
        request,
        "导出",
        "户列表",
        f"导出{len(ids)}户（条件：{request.GET.urlencode() or '全部'}）",
    )
    response = HttpResponse(
        data,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="households.xlsx"'
    return response


# ---- the household file ------------------------------------------------------------------------


@never_cache
@access.permission_required("view_registry")
def household_file(request, household_id: str):
    household = access.household_or_404(request.user, household_id)
    return _render_file(request, household, reveal=False)


@never_cache
@require_POST
@access.permission_required("reveal")
def household_reveal(request, household_id: str):
    household = access.household_or_404(request.user, household_id)
    audit.log(request, "查看完整号码", f"户 {household.household_id}", "身份证号与电话")
    return _render_file(request, household, reveal=True)


def _stability(household):
    """脱贫稳定性 of an exited household, from the monitoring policy (None otherwise)."""
    from fupin.monitoring.figures import stability_for_household

    return stability_for_household(household)


def _render_file(request, household, *, reveal: bool):
    members = list(household.members.order_by("-relation", "birth_date"))
    members.sort(key=lambda m: (m.relation != "户主", m.birth_date or timezone.now().date()))
    income = stats.household_income(household, len(members))
    show_id = (lambda x: x) if reveal else mask_id
    show_phone = (lambda x: x) if reveal else mask_phone
    member_rows = [{"m": m, "id": show_id(m.id_number)} for m in members]
    keys = [m.id_number for m in members]
    history = (
        RecordVersion.objects.filter(
            Q(table="households", key=household.household_id)
            | Q(table="members", key__in=keys)
            | Q(table="measures", key__startswith=household.household_id + "#")
        )
        .select_related("changed_by")
        .order_by("-valid_from", "-id")[:200]
    )
    labels = {
        "households": {f.name: f.label for f in HOUSEHOLDS.fields},
        "members": {f.name: f.label for f in MEMBERS.fields},
    }
    history_rows = []
    for v in history:
        diffs = []
        if v.changes:
            for name, (old, new) in json.loads(v.changes).items():
                label = labels.get(v.table, {}).get(name, name)
                if not reveal:
                    old, new = mask_field(name, old), mask_field(name, new)
                diffs.append(f"{label}：{old or '（空）'} → {new or '（空）'}")
        what = {"households": "户", "members": "成员", "measures": "措施"}.get(v.table, v.table)
        key = v.key if v.table != "members" or reveal else mask_id(v.key)
        if v.table == "measures":
            key = "措施"
        history_rows.append(
            {
                "v": v,
                "what": f"{what} {key}",
                "kind": "删除" if v.deleted else ("修改" if v.changes else "新增"),
                "diffs": diffs,
            }
        )
    ctx = _ctx(
        request,
        h=household,
        reveal=reveal,
        head_id=show_id(household.head_id_number),
        phone=show_phone(household.phone),
        helper_phone=show_phone(household.helper_phone),
        members=member_rows,
        income=income,
        measures=household.measures.order_by("-year", "kind"),
        visits=household.visits.all()[:50],
        history=history_rows,
        verdict=household_verdict(
            household.household_id, household.region_id, explain=request.GET.get("explain") == "1"
        ),
        findings=_household_findings(household.household_id),
        stability=_stability(household),
        adjustments=household.adjustments.all()[:20],
        kinds=KINDS,
        this_year=timezone.localdate().year,
        today=timezone.localdate(),
        visit_roles=[r for r, _ in Visit.visitor_role.field.choices],
        insured=[
            {
                "name": m.name,
                "medical": m.medical_insured,
                "critical": m.critical_illness_insured,
                "pension": m.pension_insured,
                "dibao": m.dibao,
                "tekun": m.tekun,
            }
            for m in members
        ],
    )
    return render(request, "web/household.html", ctx)


def _household_findings(household_id: str) -> list | None:
    findings = stats.latest_findings()
    if findings is None:
        return None
    return list(findings.filter(household_id=household_id))


@require_POST
@access.permission_required("evaluate")
def evaluate_latest(request):
    """Run the exit evaluation of the latest snapshot and store the verdicts for the pages."""
    from fupin.web import verdicts

    try:
        counts = verdicts.refresh()
    except Exception as exc:
        messages.error(request, f"评估未完成：{exc}")
    else:
        total = sum(counts.values())
        audit.log(request, "运行退出评估", "最新快照", f"{total}户；{counts}")
        messages.success(request, f"已按最新快照评估{total}户")
    return redirect("web:home")


@never_cache
@access.permission_required("edit")
def household_edit(request, household_id: str):
    household = access.household_or_404(request.user, household_id)
    current = editing.current_values(HOUSEHOLDS, household.household_id)
    errors: dict[str, str] = {}
    values = current
    if request.method == "POST":
        changes = editing.posted_changes(HOUSEHOLDS, request.POST, current)
        values = {**current, **changes}
        try:
            changed = do_update_household(household.household_id, changes, acting_user=request.user)
        except InvalidChange as exc:
            errors = exc.errors
        else:
            if changed:
                audit.log(
                    request,
                    "修改",
                    f"户 {household.household_id}",
                    "、".join(HOUSEHOLDS.field(n).label for n in changes),
                )
                messages.success(request, "已保存")
            else:
                messages.info(request, "没有改动")
            return redirect("web:household", household_id=household.household_id)
    else:
        audit.log(request, "查看完整号码", f"户 {household.household_id}", "打开户信息编辑表单")
    return render(
        request,
        "web/edit.html",
        _ctx(
            request,
            h=household,
            title=f"修改户信息：{household.head_name}户",
            fields=editing.form_fields(HOUSEHOLDS, values, errors),
            errors=errors,
        ),
    )


@never_cache
@access.permission_required("edit")
def member_edit(request, household_id: str, member_pk: int):
    household = access.household_or_404(request.user, household_id)
    member = access.member_or_404(request.user, household, member_pk)
    current = editing.current_values(MEMBERS, member.id_number)
    errors: dict[str, str] = {}
    values = current
    if request.method == "POST":
        changes = editing.posted_changes(MEMBERS, request.POST, current)
        values = {**current, **changes}
        try:
            new_id = registry_update_member(member.id_number, changes, acting_user=request.user)
        except InvalidChange as exc:
            errors = exc.errors
        else:
            if changes:
                detail = "、".join(MEMBERS.field(n).label for n in changes)
                if new_id != member.id_number:
                    detail += f"（身份证号 {mask_id(member.id_number)} 更正为 {mask_id(new_id)}）"
                audit.log(request, "修改", f"成员 {mask_id(new_id)}（户 {household_id}）", detail)
                messages.success(request, f"已保存成员{member.name}的信息")
            else:
                messages.info(request, "没有改动")
            return redirect("web:household", household_id=household.household_id)
    else:
        audit.log(
            request,
            "查看完整号码",
            f"成员 {mask_id(member.id_number)}（户 {household_id}）",
            "打开成员编辑表单",
        )
    return render(
        request,
        "web/edit.html",
        _ctx(
            request,
            h=household,
            title=f"修改成员信息：{member.name}",
            fields=editing.form_fields(MEMBERS, values, errors),
            errors=errors,
        ),
    )


# ---- visits ----------------------------------------------------------------------------------


@require_POST
@access.permission_required("edit")
def visit_add(request, household_id: str):
    from django import forms

    household = access.household_or_404(request.user, household_id)

    class VisitForm(forms.ModelForm):
        class Meta:
            model = Visit
            fields = ["visitor", "visitor_role", "visited_on", "findings", "problems", "follow_up"]

    form = VisitForm(request.POST)
    if form.is_valid():
        visit = form.save(commit=False)
        visit.household = household
        visit.recorded_by = request.user
        visit.helper = household.helper if visit.visitor_role == "帮扶责任人" else None
        visit.save()
        audit.log(request, "录入走访", f"户 {household_id}", f"{visit.visited_on} {visit.visitor}")
        messages.success(request, "已录入走访记录")
    else:
        errors = "；".join(
            f"{form.fields[k].label}：{'、'.join(v)}" for k, v in form.errors.items()
        )
        messages.error(request, f"走访记录未保存：{errors}")
    return redirect("web:household", household_id=household_id)


# ---- dynamic adjustment ----------------------------------------------------------------------


def _adjustments(user):
    scope = access.user_region(user)
    qs = AdjustmentRequest.objects.select_related("household", "requested_by", "reviewed_by")
    if scope is None:
        return qs.none()
    if scope == access.ALL:
        return qs
    from fupin.registry import regions

    low, high = regions.subtree_range(scope)
    return qs.filter(household__region_id__gte=low, household__region_id__lte=high)


@require_POST
@access.permission_required("edit")
def adjustment_request(request, household_id: str):
    household = access.household_or_404(request.user, household_id)
    kind = request.POST.get("kind", "")
    reason = request.POST.get("reason", "").strip()
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        messages.error(request, "年度应为四位数字")
        return redirect("web:household", household_id=household_id)
    try:
        check_adjustment(kind, household.status)
        adjustment_changes(kind, year)
        if not reason:
            raise InvalidChange({"reason": "请填写调整理由"})
        if household.adjustments.filter(state=AdjustmentRequest.PENDING).exists():
            raise InvalidChange({"kind": "该户已有待审核的调整申请"})
    except InvalidChange as exc:
        messages.error(request, "；".join(exc.errors.values()))
        return redirect("web:household", household_id=household_id)
    item = AdjustmentRequest.objects.create(
        household=household, kind=kind, year=year, reason=reason, requested_by=request.user
    )
    audit.log(
        request, "申请调整", f"户 {household_id}", f"{kind}（{year}年）申请#{item.pk}：{reason}"
    )
    messages.success(request, f"已提交“{kind}”申请，等待审核员审核")
    return redirect("web:household", household_id=household_id)


@access.permission_required("approve")
def adjustment_list(request):
    state = request.GET.get("state", AdjustmentRequest.PENDING)
    qs = _adjustments(request.user)
    if state:
        qs = qs.filter(state=state)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/adjustments.html",
        _ctx(request, page=page, state=state, states=[s for s, _ in AdjustmentRequest.STATES]),
    )


@require_POST
@access.permission_required("approve")
def adjustment_review(request, pk: int):
    from django.http import Http404

    from fupin.registry.adjustments import apply_adjustment

    item = _adjustments(request.user).filter(pk=pk).first()
    if item is None or not access.in_scope(request.user, item.household.region_id):
        raise Http404("没有这项申请，或不在您的管辖范围内")
    if item.state != AdjustmentRequest.PENDING:
        messages.error(request, "该申请已审核")
        return redirect("web:adjustments")
    if item.requested_by_id == request.user.pk:
        messages.error(request, "不能审核自己提交的申请")
        return redirect("web:adjustments")
    decision = request.POST.get("decision")
    note = request.POST.get("note", "").strip()
    if decision == "approve":
        try:
            apply_adjustment(item.household_id, item.kind, item.year, acting_user=request.user)
        except InvalidChange as exc:
            messages.error(request, "无法批准：" + "；".join(exc.errors.values()))
            return redirect("web:adjustments")
        item.state = AdjustmentRequest.APPROVED
    elif decision == "reject":
        item.state = AdjustmentRequest.REJECTED
    else:
        messages.error(request, "请选择批准或驳回")
        return redirect("web:adjustments")
    item.reviewed_by = request.user
    item.reviewed_at = timezone.now()
    item.review_note = note
    item.save()
    audit.log(
        request,
        "审核调整",
        f"户 {item.household_id}",
        f"申请#{item.pk} {item.kind}：{item.state}{('（' + note + '）') if note else ''}",
    )
    messages.success(request, f"户{item.household_id}的“{item.kind}”申请{item.state}")
    return redirect("web:adjustments")


# ---- audit log -------------------------------------------------------------------------------


@access.permission_required("audit")
def audit_log(request):
    qs = AuditLog.objects.all()
    scope = access.user_region(request.user)
    if scope:  # an administrator of a region sees the log of its users only
        from fupin.registry import regions

        low, high = regions.subtree_range(scope)
        qs = qs.filter(user__profile__region_id__gte=low, user__profile__region_id__lte=high)
    for param, lookup in (
        ("user", "username"),
        ("action", "action"),
        ("target", "target__contains"),
        ("ip", "ip"),
    ):
        value = request.GET.get(param, "").strip()
        if value:
            qs = qs.filter(**{lookup: value})
    since = request.GET.get("since", "").strip()
    if since:
        qs = qs.filter(at__date__gte=since)
    until = request.GET.get("until", "").strip()
    if until:
        qs = qs.filter(at__date__lte=until)
    page = CappedPaginator(qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "web/audit.html",
        _ctx(request, page=page, get=request.GET, query=params.urlencode(), count_cap=COUNT_CAP),
    )


@access.permission_required("view_figures")
def account(request):
    """The user's roles, region, what they may do, and API tokens."""
    from fupin.web.models import ApiToken

    new_token = None
    if request.method == "POST":
        from fupin.web.api import issue_token

        new_token = issue_token(request.user, request.POST.get("name", "").strip() or "网页创建")
        audit.log(request, "创建接口令牌", request.user.get_username())
    return render(
        request,
        "web/account.html",
        _ctx(
            request,
            region=access.home_region(request.user),
            labels=PERMISSION_LABELS,
            tokens=ApiToken.objects.filter(user=request.user),
            new_token=new_token,
            member_count=Member.objects.none(),
        ),
    )


# ---- import on the site ----------------------------------------------------------------------


def _no_session_write(request) -> None:
    """Answer without refreshing the session row (SESSION_SAVE_EVERY_REQUEST).

    While an import holds SQLite's write lock, any other write waits for it (and fails after the
    30 s timeout), so the pages that follow an import only read.
    """
    request.session.save = lambda must_create=False: None


@access.permission_required("import")
def import_page(request):
    """Upload (then the check runs in the background), confirm a passed check's import, or see
    the jobs running and the recent ones."""
    from fupin.engine.tables import DatasetError
    from fupin.web import jobs

    if request.method == "POST":
        _no_session_write(request)  # a job may hold SQLite's write lock (see _no_session_write)
        try:
            if request.POST.get("step", "check") == "import":
                job = jobs.start_import(request, _int_or_refuse(request.POST.get("check", "")))
            else:
                job = jobs.start_check(request, request.FILES.getlist("files"))
        except (DatasetError, jobs.JobRefused) as exc:
            messages.error(request, str(exc))
            return redirect("web:import")
        return redirect("web:import_job", pk=job.pk)
    ctx = _ctx(
        request,
        running=[(j, jobs.progress(j)) for j in jobs.running_jobs(request.user)],
        recent=jobs.visible_jobs(request.user).select_related("user")[:10],
    )
    return render(request, "web/import.html", ctx)


def _int_or_refuse(value: str) -> int:
    from fupin.web import jobs

    if not value.isdigit():
        raise jobs.JobRefused("请先上传并检查数据")
    return int(value)


@never_cache
@access.permission_required("import")
def import_job(request, pk: int):
    """One check or import in the background: its progress bar, then its counts (for a check,
    what the import would do, and the 确认导入 button when it passed) or its problems."""
    from fupin.registry.importing import OUTCOME_LABELS
    from fupin.web import jobs

    _no_session_write(request)
    job = jobs.job_or_404(request.user, pk)
    status = jobs.progress(job)
    ctx = _ctx(request, labels=OUTCOME_LABELS, job=job, status=status)
    if status["finished"]:
        ctx.update(
            problems=job.problems,
            total=job.problem_count,
            refused=job.refused,
            counts=jobs.count_rows(job),
            warnings=job.warnings,
            may_import=job.passed and job.user_id == request.user.pk,
        )
    return render(request, "web/import.html", ctx)


@never_cache
@access.permission_required("import")
def import_job_status(request, pk: int):
    """What the progress bar polls (JSON); 404 outside the job's owner and region."""
    from django.http import JsonResponse

    from fupin.web import jobs

    _no_session_write(request)
    return JsonResponse(jobs.progress(jobs.job_or_404(request.user, pk)))


# ---- printouts -------------------------------------------------------------------------------


def _pdf(request, data: bytes, filename: str, what: str, target: str) -> HttpResponse:
    audit.log(request, "打印", target, what)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@access.permission_required("export")
def help_card_pdf(request, household_id: str):
    from fupin.web.printouts import help_card

    household = access.household_or_404(request.user, household_id)
    return _pdf(
        request,
        help_card(household),
        f"helpcard-{household_id}.pdf",
        "帮扶明白卡",
        f"户 {household_id}",
    )


@access.permission_required("export")
def village_register_pdf(request, code: str):
    from django.http import Http404

    from fupin.web.printouts import village_register

    region = access.region_or_404(request.user, code)
    if region.level != "村":
        raise Http404("村有册只针对村")
    return _pdf(request, village_register(region), f"register-{code}.pdf", "村有册", region.name)


@access.permission_required("export")
def township_book_pdf(request, code: str):
    from django.http import Http404

    from fupin.web.printouts import township_book

    region = access.region_or_404(request.user, code)
    if region.level != "乡":
        raise Http404("乡有簿只针对乡镇")
    return _pdf(request, township_book(region), f"book-{code}.pdf", "乡有簿", region.name)


# ---- users of the administrator's region ---------------------------------------------------


@access.permission_required("audit")
def user_admin(request):
    """系统管理员: the users of the region subtree, and a form to add one inside it."""
    from fupin.registry import regions as region_codes
    from fupin.web.models import UserProfile
    from fupin.web.roles import ROLES

    scope = access.user_region(request.user)
    profiles = UserProfile.objects.select_related("user", "region").order_by(
        "region_id", "user__username"
    )
    if scope:
        low, high = region_codes.subtree_range(scope)
        profiles = profiles.filter(region_id__gte=low, region_id__lte=high)
    form = {"username": "", "region": "", "unit": "", "roles": []}
    errors = ""
    if request.method == "POST":
        form = {
            "username": request.POST.get("username", "").strip(),
            "region": request.POST.get("region", "").strip(),
            "unit": request.POST.get("unit", "").strip(),
            "roles": request.POST.getlist("roles"),
        }
        if not access.in_scope(request.user, form["region"]):
            errors = f"区划{form['region'] or '（空）'}不在您的管辖范围内"
        else:
            try:
                accounts.create_user(
                    form["username"],
                    request.POST.get("password", ""),
                    form["roles"],
                    form["region"],
                    form["unit"],
                )
            except accounts.AccountError as exc:
                errors = str(exc)
            else:
                audit.log(
                    request,
                    "创建用户",
                    form["username"],
                    f"{'、'.join(form['roles'])}，区划{form['region']}",
                )
                messages.success(request, f"已创建用户{form['username']}")
                return redirect("web:users")
    return render(
        request,
        "web/users.html",
        _ctx(
            request,
            profiles=profiles[:500],
            all_roles=ROLES,
            form=form,
            errors=errors,
            scope=scope,
        ),
    )

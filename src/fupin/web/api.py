"""The HTTP API: token authentication, the same region scoping and masking as the pages.

OpenAPI schema at /api/openapi.json, interactive documentation at /api/docs.
"""

from __future__ import annotations

import secrets

from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer

from fupin.registry import regions as codes
from fupin.registry.models import Household
from fupin.web import access, audit, stats
from fupin.web.masking import mask_id, mask_phone
from fupin.web.models import ApiToken
from fupin.web.verdicts import household_verdict


def issue_token(user, name: str = "") -> str:
    """A new API token for the user; the key is shown once, only its hash is kept."""
    key = "fp_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, digest=ApiToken.hash(key))
    return key


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        row = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(token)).first()
        if row is None or not row.user.is_active:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used=timezone.now())
        request.user = row.user
        return row.user


api = NinjaAPI(
    title="扶贫 · 精准扶贫管理系统 API",
    version="1",
    description="建档立卡数据与评估结果。所有请求须带 `Authorization: Bearer <令牌>`，"
    "结果限于令牌所属用户的管辖区划；身份证号与电话默认脱敏。",
    auth=TokenAuth(),
    urls_namespace="web:api",
)


def _need(request, permission: str) -> None:
    if not access.can(request.auth, permission):
        raise HttpError(403, f"没有“{permission}”权限")


class Me(Schema):
    username: str
    region: str | None
    roles: list[str]


class HouseholdOut(Schema):
    household_id: str
    region_code: str
    head_name: str
    head_id_number: str
    attribute: str
    main_cause: str
    status: str
    exit_year: int | None


class MemberOut(Schema):
    name: str
    id_number: str
    sex: str
    relation: str
    health: str
    labor_ability: str
    school_status: str


class HouseholdDetail(HouseholdOut):
    phone: str
    helper_name: str
    helper_phone: str
    net_income: float
    per_person_income: float | None
    members: list[MemberOut]


class HouseholdPage(Schema):
    count: int
    page: int
    items: list[HouseholdOut]


class StatusCount(Schema):
    status: str
    households: int
    people: int


class RegionFigures(Schema):
    code: str
    name: str
    level: str
    households: int
    people: int
    incidence: float | None
    by_status: list[StatusCount]


def _household_out(h: Household, reveal: bool) -> dict:
    return {
        "household_id": h.household_id,
        "region_code": h.region_id,
        "head_name": h.head_name,
        "head_id_number": h.head_id_number if reveal else mask_id(h.head_id_number),
        "attribute": h.attribute,
        "main_cause": h.main_cause,
        "status": h.status,
        "exit_year": h.exit_year,
    }


@api.get("/me", response=Me, summary="当前用户")
def me(request):
    return {
        "username": request.auth.get_username(),
        "region": access.user_region(request.auth),
        "roles": access.user_roles(request.auth),
    }


@api.get("/households", response=HouseholdPage, summary="查询贫困户（分页，每页100户）")
def list_households(request, q: str = "", region: str = "", status: str = "", page: int = 1):
    _need(request, "view_registry")
    qs = access.households(request.auth)
    if q:
        qs = qs.filter(head_name=q) | qs.filter(household_id=q)
    if region:
        if not access.in_scope(request.auth, region):
            raise Http404("没有这个区划，或不在您的管辖范围内")
        low, high = codes.subtree_range(region)
        qs = qs.filter(region_id__gte=low, region_id__lte=high)
    if status:
        qs = qs.filter(status=status)
    qs = qs.order_by("household_id")
    page = max(page, 1)
    items = list(qs[(page - 1) * 100 : page * 100])
    return {"count": qs.count(), "page": page, "items": [_household_out(h, False) for h in items]}


@api.get("/households/{household_id}", response=HouseholdDetail, summary="一户一档")
def get_household(request, household_id: str, reveal: bool = False):
    _need(request, "view_registry")
    h = access.household_or_404(request.auth, household_id)
    if reveal:
        _need(request, "reveal")
        audit.log(request, "查看完整号码", f"户 {household_id}", "接口", user=request.auth)
    members = list(h.members.all())
    income = stats.household_income(h, len(members))
    out = _household_out(h, reveal)
    out.update(
        phone=h.phone if reveal else mask_phone(h.phone),
        helper_name=h.helper_name,
        helper_phone=h.helper_phone if reveal else mask_phone(h.helper_phone),
        net_income=float(income["total"]),
        per_person_income=float(income["per_person"]) if income["per_person"] is not None else None,
        members=[
            {
                "name": m.name,
                "id_number": m.id_number if reveal else mask_id(m.id_number),
                "sex": m.sex,
                "relation": m.relation,
                "health": m.health,
                "labor_ability": m.labor_ability,
                "school_status": m.school_status,
            }
            for m in members
        ],
    )
    return out


@api.get("/households/{household_id}/verdict", summary="退出评估结论与差距清单（最新快照）")
def get_verdict(request, household_id: str):
    _need(request, "view_registry")
    h = access.household_or_404(request.auth, household_id)
    return household_verdict(h.household_id, h.region_id)


def _figures(region) -> dict:
    f = stats.region_figures(region)
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "households": f["households"],
        "people": f["people"],
        "incidence": f["incidence"],
        "by_status": [{"status": s, "households": n, "people": p} for s, n, p in f["by_status"]],
    }


@api.get("/regions/{code}", response=RegionFigures, summary="区划统计")
def get_region(request, code: str):
    _need(request, "view_figures")
    return _figures(access.region_or_404(request.auth, code))


@api.get("/regions/{code}/children", response=list[RegionFigures], summary="下级区划统计")
def get_children(request, code: str):
    _need(request, "view_figures")
    region = access.region_or_404(request.auth, code)
    return [_figures(child) for child in region.children.order_by("code")]


class CriterionCount(Schema):
    criterion: str
    name: str
    households: int


class RegionResults(Schema):
    code: str
    snapshot: str | None
    policy: str | None
    passed: int
    failed: int
    wrong_exit_risks: int
    failed_criteria: list[CriterionCount]
    verdict: str | None = None
    verdict_gaps: list[str] = []


@api.get(
    "/regions/{code}/results",
    response=RegionResults,
    summary="退出评估结果：达标与未达标户数、错退风险、未达标指标，以及村或县本身的结论",
)
def get_results(request, code: str):
    _need(request, "view_figures")
    region = access.region_or_404(request.auth, code)
    from fupin.web.verdicts import region_verdict

    figures = stats.verdict_figures(region)
    own = region_verdict(region.code)
    out = {
        "code": region.code,
        "snapshot": figures["snapshot"] if figures else None,
        "policy": figures["policy"] if figures else None,
        "passed": figures["passed"] if figures else 0,
        "failed": figures["failed"] if figures else 0,
        "wrong_exit_risks": figures["wrong_exit_risks"] if figures else 0,
        "failed_criteria": [
            {"criterion": cid, "name": name, "households": n}
            for cid, name, n in (figures["criteria"] if figures else [])
        ],
    }
    if own is not None:
        out["verdict"] = own["v"].verdict
        out["verdict_gaps"] = own["gaps"]
    return out

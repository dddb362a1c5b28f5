"""社会扶贫网 pages: the public part under /network/ (no login) and the managers' page.

Public pages never read a household's name, ID number or phone: needs carry the public name
fixed at registration (张**), the village name, and text checked on publication.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fupin.monitoring import data, network
from fupin.monitoring.access import ACT, in_scope, permission_required, user_scope
from fupin.monitoring.models import Donor, Need, NetworkHousehold, Pledge
from fupin.registry.models import Household, Region

SESSION_DONOR = "network_donor"
PUBLIC_STATES = (Need.PUBLISHED, Need.MATCHED, Need.DELIVERED)


def _public_needs():
    return Need.objects.filter(state__in=PUBLIC_STATES).select_related(
        "region", "network_household"
    )


def _donor(request: HttpRequest) -> Donor | None:
    donor_id = request.session.get(SESSION_DONOR)
    return Donor.objects.filter(pk=donor_id).first() if donor_id else None


def home(request: HttpRequest) -> HttpResponse:
    needs = _public_needs()
    return render(
        request,
        "monitoring/network/home.html",
        {
            "figures": network.network_figures(""),
            "open_needs": needs.filter(state=Need.PUBLISHED)[:100],
            "matched_needs": needs.filter(state=Need.MATCHED)[:100],
            "delivered_needs": needs.filter(state=Need.DELIVERED)[:100],
            "donor": _donor(request),
        },
    )


def need_detail(request: HttpRequest, need_id: int) -> HttpResponse:
    need = _public_needs().filter(pk=need_id).first()
    if need is None:
        raise Http404("没有这条需求")
    donor = _donor(request)
    errors: list[str] = []
    if request.method == "POST":
        if donor is None:
            return redirect(f"/network/donor/?next=/network/need/{need.pk}/")
        try:
            network.do_pledge(
                need,
                donor,
                kind=request.POST.get("kind", ""),
                description=request.POST.get("description", ""),
                amount=request.POST.get("amount", ""),
            )
        except network.NetworkError as error:
            errors.append(str(error))
        else:
            messages.success(request, "感谢您的爱心！认捐已登记，管理员确认送达后将公示。")
            return redirect("network:need", need_id=need.pk)
    pledges = need.pledges.exclude(state=Pledge.CANCELLED).select_related("donor")
    return render(
        request,
        "monitoring/network/need.html",
        {
            "need": need,
            "pledges": pledges,
            "donor": donor,
            "kinds": Pledge.KINDS,
            "errors": errors,
        },
    )


def donor_register(request: HttpRequest) -> HttpResponse:
    errors: list[str] = []
    next_url = request.GET.get("next", "") or request.POST.get("next", "")
    if not next_url.startswith("/network/"):
        next_url = "/network/"
    if request.method == "POST":
        code = request.POST.get("region_code", "").strip()
        region = Region.objects.filter(code=code).first() if code else None
        try:
            if code and region is None:
                raise network.NetworkError(f"区划代码{code}不存在")
            donor = network.do_register_donor(
                kind=request.POST.get("kind", ""),
                name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""),
                region=region,
            )
        except network.NetworkError as error:
            errors.append(str(error))
        else:
            request.session[SESSION_DONOR] = donor.pk
            messages.success(request, f"注册成功，欢迎您，{donor.public_name}！")
            return redirect(next_url)
    return render(
        request,
        "monitoring/network/donor.html",
        {"kinds": Donor.KINDS, "errors": errors, "next": next_url, "post": request.POST},
    )


def donors(request: HttpRequest) -> HttpResponse:
    delivered = (
        Pledge.objects.filter(state=Pledge.DELIVERED)
        .select_related("donor", "need", "need__region")
        .order_by("-delivered_on", "-pk")[:200]
    )
    return render(request, "monitoring/network/donors.html", {"delivered": delivered})


def figures_page(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("region", "").strip()
    region = Region.objects.filter(code=code).first() if code else None
    if code and region is None:
        raise Http404("没有这个区划")
    children = (
        region.children.order_by("code")
        if region
        else Region.objects.filter(parent__isnull=True).order_by("code")
    )
    return render(
        request,
        "monitoring/network/figures.html",
        {
            "region": region,
            "figures": network.network_figures(code),
            "rows": [(child, network.network_figures(child.code)) for child in children],
        },
    )


# --- managers -------------------------------------------------------------------------------


def _manager_scope(request: HttpRequest) -> str:
    return user_scope(request.user) or ""


@permission_required(ACT)
def manage(request: HttpRequest) -> HttpResponse:
    code = _manager_scope(request)
    region = Region.objects.filter(code=code).first() if code else None
    if region is not None and not hasattr(request.user, "network_manager"):
        network.do_register_manager(request.user, region, registered_on=data.today())
        messages.info(request, f"您已注册为{region.name}社会扶贫网管理员。")
    members = NetworkHousehold.objects.within(code).select_related("household", "region")
    needs = Need.objects.within(code).select_related("network_household", "region")
    waiting = Pledge.objects.filter(
        state=Pledge.PLEDGED, need__in=needs.values("pk")
    ).select_related("donor", "need")
    return render(
        request,
        "monitoring/network/manage.html",
        {
            "members": members,
            "needs": needs[:200],
            "waiting": waiting,
            "categories": Need.CATEGORIES,
            "today": data.today(),
        },
    )


def _redirect_manage(request: HttpRequest, error: Exception | None) -> HttpResponse:
    if error is not None:
        messages.error(request, str(error))
    else:
        messages.success(request, "已保存。")
    return redirect("network:manage")


@require_POST
@permission_required(ACT)
def manage_register(request: HttpRequest) -> HttpResponse:
    hid = request.POST.get("household_id", "").strip()
    household = Household.objects.filter(household_id=hid).first()
    try:
        if household is None or not in_scope(request.user, household.region_id):
            raise network.NetworkError(f"没有户编号为“{hid}”的户，或不在您的管辖范围内")
        network.do_register_household(
            household,
            consent_on=dt.date.fromisoformat(request.POST.get("consent_on", "")),
            consent_note=request.POST.get("consent_note", ""),
            style=request.POST.get("style", "stars"),
            acting_user=request.user,
        )
    except ValueError as error:
        return _redirect_manage(request, error)
    return _redirect_manage(request, None)


@require_POST
@permission_required(ACT)
def manage_publish(request: HttpRequest) -> HttpResponse:
    member = NetworkHousehold.objects.filter(pk=request.POST.get("member") or 0).first()
    try:
        if member is None or not in_scope(request.user, member.region_id):
            raise network.NetworkError("请选择已注册的贫困户")
        network.do_publish_need(
            member,
            category=request.POST.get("category", ""),
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            amount=request.POST.get("amount", ""),
            published_on=data.today(),
            acting_user=request.user,
        )
    except ValueError as error:
        return _redirect_manage(request, error)
    return _redirect_manage(request, None)


@require_POST
@permission_required(ACT)
def manage_deliver(request: HttpRequest, pledge_id: int) -> HttpResponse:
    pledge = Pledge.objects.select_related("need").filter(pk=pledge_id).first()
    try:
        if pledge is None or not in_scope(request.user, pledge.need.region_id):
            raise network.NetworkError("没有这条认捐，或不在您的管辖范围内")
        network.do_confirm_delivery(pledge, delivered_on=data.today(), acting_user=request.user)
    except ValueError as error:
        return _redirect_manage(request, error)
    return _redirect_manage(request, None)

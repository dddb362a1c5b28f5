"""社会扶贫网: registering households with consent, publishing needs, pledges and delivery,
and the figures seed 004 item 37 sets targets on (one function, `network_figures`).

Nothing personal leaves through the public pages: a household is shown by its village and a
masked name (张** or 张先生 / 张女士), and a need's text is refused when it holds an ID number,
a phone number or the name of a member of the household.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, Q, Sum

from fupin.monitoring.models import Donor, Need, NetworkHousehold, NetworkManager, Pledge
from fupin.registry import regions
from fupin.registry.models import Household, Region


class NetworkError(ValueError):
    """A network step that is not allowed; str() says why, in Chinese."""


ID_PATTERN = re.compile(r"\d{15}|\d{17}[\dXx]|\d{6}\*+\d{3}[\dXx]")
PHONE_PATTERN = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")


def public_name(full_name: str, sex: str = "", style: str = "stars") -> str:
    """张三 → 张** (or 张先生 / 张女士); only the surname is ever shown."""
    full_name = full_name.strip()
    if not full_name:
        return "某户"
    surname = full_name[:2] if len(full_name) >= 4 else full_name[:1]
    if style == "title":
        return surname + ("女士" if sex == "女" else "先生")
    return surname + "**"


def personal_text(text: str, household: Household) -> list[str]:
    """What in `text` would reveal the household: reasons, in Chinese; empty when clean."""
    problems = []
    if ID_PATTERN.search(text):
        problems.append("含有身份证号")
    if PHONE_PATTERN.search(text):
        problems.append("含有电话号码")
    names = {household.head_name, *household.members.values_list("name", flat=True)}
    found = sorted(n for n in names if n and len(n) >= 2 and n in text)
    if found:
        problems.append("含有家庭成员姓名")
    return problems


@transaction.atomic
def do_register_household(
    household: Household, *, consent_on: dt.date, consent_note: str, acting_user, style="stars"
) -> NetworkHousehold:
    """A household joins the network with its consent (how it was given is recorded)."""
    if household.status not in ("未脱贫", "已脱贫", "返贫"):
        raise NetworkError(f"只有建档立卡户可以注册，该户贫困状态为“{household.status or '空'}”")
    if not consent_note.strip():
        raise NetworkError("请记录农户同意公开需求的方式（如：户主签字同意书）")
    if hasattr(household, "network"):
        raise NetworkError("该户已在社会扶贫网注册")
    head_sex = household.members.filter(relation="户主").values_list("sex", flat=True).first()
    return NetworkHousehold.objects.create(
        household=household,
        region_id=household.region_id,
        public_name=public_name(household.head_name, head_sex or "", style),
        consent_on=consent_on,
        consent_note=consent_note.strip(),
        registered_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )


def _money(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise NetworkError(f"金额“{value}”不是数字") from None
    if amount < 0:
        raise NetworkError("金额不能为负")
    return amount


@transaction.atomic
def do_publish_need(
    member: NetworkHousehold,
    *,
    category: str,
    title: str,
    description: str,
    published_on: dt.date,
    acting_user,
    amount=None,
) -> Need:
    """A manager publishes a need; text that would identify the household is refused."""
    if category not in Need.CATEGORIES:
        raise NetworkError(f"未知的需求类别“{category}”，可选：{'、'.join(Need.CATEGORIES)}")
    if not title.strip() or not description.strip():
        raise NetworkError("请填写需求标题和说明")
    problems = personal_text(f"{title}\n{description}", member.household)
    if problems:
        raise NetworkError(
            f"需求内容{'、'.join(problems)}，公开发布只能写村名和称呼（{member.public_name}），请修改"
        )
    return Need.objects.create(
        network_household=member,
        region_id=member.region_id,
        category=category,
        title=title.strip(),
        description=description.strip(),
        amount=_money(amount),
        state=Need.PUBLISHED,
        published_on=published_on,
        published_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )


@transaction.atomic
def do_register_donor(*, kind: str, name: str, phone: str, region: Region | None = None) -> Donor:
    if kind not in Donor.KINDS:
        raise NetworkError(f"未知的类型“{kind}”，可选：{'、'.join(Donor.KINDS)}")
    if not name.strip():
        raise NetworkError("请填写姓名或单位名称")
    if not PHONE_PATTERN.fullmatch(phone.strip()):
        raise NetworkError("请填写正确的联系电话（手机号或带区号的座机号）")
    return Donor.objects.create(kind=kind, name=name.strip(), phone=phone.strip(), region=region)


@transaction.atomic
def do_pledge(need: Need, donor: Donor, *, kind: str, description: str, amount=None) -> Pledge:
    """A donor pledges to a published need; the need becomes 已对接 (matched)."""
    need = Need.objects.select_for_update().get(pk=need.pk)
    if need.state not in (Need.PUBLISHED, Need.MATCHED):
        raise NetworkError(f"该需求状态为“{need.state}”，不能再认捐")
    if kind not in Pledge.KINDS:
        raise NetworkError(f"未知的帮扶方式“{kind}”，可选：{'、'.join(Pledge.KINDS)}")
    if not description.strip():
        raise NetworkError("请填写认捐内容")
    pledge = Pledge.objects.create(
        need=need,
        donor=donor,
        kind=kind,
        amount=_money(amount) or Decimal("0"),
        description=description.strip(),
        state=Pledge.PLEDGED,
    )
    if need.state == Need.PUBLISHED:
        need.state = Need.MATCHED
        need.save(update_fields=["state"])
    return pledge


@transaction.atomic
def do_confirm_delivery(pledge: Pledge, *, delivered_on: dt.date, acting_user) -> Pledge:
    """The manager confirms that a pledge reached the household; the need is 已送达."""
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    if pledge.state != Pledge.PLEDGED:
        raise NetworkError(f"该认捐状态为“{pledge.state}”，不能确认送达")
    pledge.state = Pledge.DELIVERED
    pledge.delivered_on = delivered_on
    pledge.confirmed_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    pledge.save()
    Need.objects.filter(pk=pledge.need_id).update(state=Need.DELIVERED)
    return pledge


@transaction.atomic
def do_withdraw_need(need: Need, *, acting_user) -> Need:
    if need.state == Need.DELIVERED:
        raise NetworkError("已送达的需求不能撤下")
    need.state = Need.WITHDRAWN
    need.save(update_fields=["state"])
    return need


@transaction.atomic
def do_register_manager(user, region: Region, *, registered_on: dt.date) -> NetworkManager:
    manager, _ = NetworkManager.objects.update_or_create(
        user=user, defaults={"region": region, "registered_on": registered_on}
    )
    return manager


@dataclass(frozen=True)
class NetworkFigures:
    """社会扶贫网 figures of a region (seed 004 item 37)."""

    region_code: str
    households: int  # 贫困户注册
    donors: int  # 爱心人士注册 (registered in the region, or pledged to its needs)
    managers: int  # 管理员注册
    published_needs: int  # 发起贫困需求 (every need published, withdrawn ones excepted)
    matched_needs: int  # needs with at least one pledge not cancelled (对接成功)
    delivered_needs: int  # needs with a delivery confirmed by a manager
    delivered_pledges: int
    delivered_amount: Decimal  # value of the delivered pledges, yuan

    @property
    def users(self) -> int:
        """用户量 = 贫困户注册 + 爱心人士注册 + 管理员注册 (the 100万 target of item 37)."""
        return self.households + self.donors + self.managers


def network_figures(code: str) -> NetworkFigures:
    """The network figures of a region's subtree ('' for everything)."""
    low, high = regions.subtree_range(code) if code else ("", "\uffff")
    in_region = {"region_id__gte": low, "region_id__lte": high}
    needs = Need.objects.filter(**in_region).exclude(state=Need.WITHDRAWN)
    need_counts = needs.aggregate(
        published=Count("pk"),
        matched=Count(
            "pk",
            filter=Q(pledges__state__in=[Pledge.PLEDGED, Pledge.DELIVERED]),
            distinct=True,
        ),
        delivered=Count("pk", filter=Q(pledges__state=Pledge.DELIVERED), distinct=True),
    )
    delivered = Pledge.objects.filter(
        state=Pledge.DELIVERED,
        need__region_id__gte=low,
        need__region_id__lte=high,
        need__state__in=[Need.DELIVERED, Need.MATCHED],
    ).aggregate(n=Count("pk"), amount=Sum("amount"))
    donors = (
        Donor.objects.filter(
            Q(region_id__gte=low, region_id__lte=high)
            | Q(pledges__need__region_id__gte=low, pledges__need__region_id__lte=high)
            | (Q(region__isnull=True) if not code else Q(pk__in=[]))
        )
        .distinct()
        .count()
    )
    return NetworkFigures(
        code,
        NetworkHousehold.objects.filter(**in_region).count(),
        donors,
        NetworkManager.objects.filter(**in_region).count(),
        need_counts["published"],
        need_counts["matched"],
        need_counts["delivered"],
        delivered["n"],
        delivered["amount"] or Decimal("0"),
    )

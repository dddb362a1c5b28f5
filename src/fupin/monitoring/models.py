"""返贫监测 (monitoring objects and their loop) and 社会扶贫网 (the social help network).

Monitoring: a Case is one household under monitoring (a registered household, or a 边缘户
that is not registered), raised by one or more Risks; it is verified by a visit, gets measures,
is followed up on a schedule and ends as 风险消除 or 返贫 (or 核实排除 when the visit finds no
risk). Every step is an action in `actions.py` that writes a CaseEvent.

Network: a manager registers a household with its consent and publishes its needs; donors
pledge; the manager confirms delivery. Public pages show needs by village and a masked name.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from fupin.engine.standard_format import MEASURE_KINDS
from fupin.registry import regions
from fupin.registry.models import Helper, Household, Region, Visit


class WithinQuerySet(models.QuerySet):
    region_field = "region_id"

    def within(self, code: str):
        if not code:
            return self
        low, high = regions.subtree_range(code)
        return self.filter(**{f"{self.region_field}__gte": low, f"{self.region_field}__lte": high})


USER = settings.AUTH_USER_MODEL

# --- monitoring --------------------------------------------------------------------------------

SOURCES = ("登记数据", "比对发现", "走访发现", "农户申报", "干部报告")
SOURCE_REGISTRY, SOURCE_COMPARISON, SOURCE_VISIT, SOURCE_HOUSEHOLD, SOURCE_CADRE = SOURCES
# Risk types besides those of the policy rules (reports may name any of these).
REPORT_RISK_TYPES = (
    "收入下降",
    "转移性收入占比过高",
    "大病",
    "残疾",
    "灾害",
    "医疗支出",
    "教育支出",
    "失业",
    "其他",
)


class EdgeHousehold(models.Model):
    """边缘户: a household not in the register, reported as at risk (entered by report)."""

    region = models.ForeignKey(
        Region, verbose_name="所在村", on_delete=models.PROTECT, related_name="+"
    )
    head_name = models.CharField("户主姓名", max_length=100)
    id_number = models.CharField("户主身份证号", max_length=18, blank=True, default="")
    phone = models.CharField("联系电话", max_length=40, blank=True, default="")
    people = models.PositiveIntegerField("家庭人口", default=1)
    per_capita_income = models.DecimalField(
        "人均纯收入（估计）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    situation = models.TextField("情况说明")
    reported_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    reported_at = models.DateTimeField("报告时间", auto_now_add=True)

    objects = WithinQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "边缘户"

    def __str__(self) -> str:
        return f"{self.head_name}户（边缘户）"


class Case(models.Model):
    """监测对象: one household under monitoring from identification to its outcome."""

    TO_VERIFY = "待核实"
    MONITORING = "监测中"
    REMOVED = "风险消除"
    RETURN_PENDING = "返贫待审批"
    RETURNED = "返贫"
    DISMISSED = "核实排除"
    STATES = (TO_VERIFY, MONITORING, REMOVED, RETURN_PENDING, RETURNED, DISMISSED)
    OPEN_STATES = (TO_VERIFY, MONITORING, RETURN_PENDING)

    household = models.ForeignKey(
        Household,
        verbose_name="建档立卡户",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="monitoring_cases",
    )
    edge = models.ForeignKey(
        EdgeHousehold,
        verbose_name="边缘户",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cases",
    )
    region = models.ForeignKey(
        Region,
        verbose_name="所在村",
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
    )
    helper = models.ForeignKey(
        Helper,
        verbose_name="帮扶责任人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )
    state = models.CharField("状态", max_length=10, choices=[(s, s) for s in STATES])
    identified_on = models.DateField("识别日期")
    identified_by = models.ForeignKey(
        USER, verbose_name="识别人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verify_due = models.DateField("核实期限", null=True, blank=True)
    verified_on = models.DateField("核实日期", null=True, blank=True)
    verified_by = models.ForeignKey(
        USER, verbose_name="核实人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    next_follow_up = models.DateField("下次回访日期", null=True, blank=True)
    closed_on = models.DateField("结案日期", null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, verbose_name="结案人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    close_reason = models.TextField("结案说明", blank=True, default="")
    return_requested_by = models.ForeignKey(
        USER, verbose_name="返贫申请人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    adjustment_request_id = models.IntegerField("动态调整申请编号", null=True, blank=True)

    objects = WithinQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "监测对象"
        ordering = ["-identified_on", "-id"]
        indexes = [models.Index(fields=["region", "state"])]

    def __str__(self) -> str:
        return f"{self.subject_name}（{self.state}）"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def subject_name(self) -> str:
        if self.household_id:
            return f"{self.household.head_name}户（{self.household_id}）"
        return str(self.edge)


class Risk(models.Model):
    """One risk of a case: its type, where it came from, and when."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="risks")
    risk_type = models.CharField("风险类型", max_length=20)
    source = models.CharField("来源", max_length=10, choices=[(s, s) for s in SOURCES])
    rule_id = models.CharField("规则", max_length=60, blank=True, default="")
    detail = models.TextField("说明", blank=True, default="")
    detected_on = models.DateField("发现日期")
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "风险"
        ordering = ["detected_on", "id"]


class CaseVisit(models.Model):
    """A verification or follow-up visit of a case (for a registered household also a Visit)."""

    VERIFY, FOLLOW_UP = "入户核实", "跟踪回访"
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    purpose = models.CharField(
        "目的", max_length=10, choices=[(VERIFY, VERIFY), (FOLLOW_UP, FOLLOW_UP)]
    )
    visited_on = models.DateField("走访日期")
    visitor = models.CharField("走访人", max_length=100)
    findings = models.TextField("走访情况")
    due_on = models.DateField("应回访日期", null=True, blank=True)
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False,
        related_name="+",
    )  # fmt: skip
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "监测走访"
        ordering = ["visited_on", "id"]


class CaseMeasure(models.Model):
    """A support measure assigned to a case (kinds are the registry's measure kinds)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField("措施类型", max_length=20, choices=[(k, k) for k in MEASURE_KINDS])
    description = models.CharField("措施内容", max_length=200)
    amount = models.DecimalField("金额", max_digits=14, decimal_places=2, default=0)
    assigned_on = models.DateField("落实日期")
    assigned_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "监测帮扶措施"
        ordering = ["assigned_on", "id"]


class CaseEvent(models.Model):
    """The audit trail of a case: every step, dated and attributed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("操作", max_length=20)
    at = models.DateTimeField("时间", auto_now_add=True)
    user = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField("详情", default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "监测操作记录"
        ordering = ["at", "id"]


# --- 社会扶贫网 ----------------------------------------------------------------------------------


class NetworkManager(models.Model):
    """社会扶贫网管理员 of a region (usually the township or village 扶贫工作站)."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="network_manager")
    region = models.ForeignKey(
        Region, verbose_name="负责区划", on_delete=models.PROTECT, db_constraint=False,
        related_name="+",
    )  # fmt: skip
    registered_on = models.DateField("注册日期")

    objects = WithinQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "社会扶贫网管理员"


class NetworkHousehold(models.Model):
    """A registered household on the network, with the consent it gave."""

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, db_constraint=False, related_name="network"
    )
    region = models.ForeignKey(
        Region, verbose_name="所在村", on_delete=models.PROTECT, db_constraint=False,
        related_name="+",
    )  # fmt: skip
    public_name = models.CharField("公开称呼", max_length=20)
    consent_on = models.DateField("同意公开日期")
    consent_note = models.CharField("同意方式", max_length=200)
    registered_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = WithinQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "社会扶贫网贫困户"


class Donor(models.Model):
    """爱心人士 or 爱心企业 (千企帮千村) registered on the network."""

    KINDS = ("个人", "企业", "社会组织")
    kind = models.CharField("类型", max_length=10, choices=[(k, k) for k in KINDS])
    name = models.CharField("姓名或名称", max_length=200)
    phone = models.CharField("联系电话", max_length=40)
    region = models.ForeignKey(
        Region, verbose_name="所在地区", null=True, blank=True, on_delete=models.SET_NULL,
        db_constraint=False, related_name="+",
    )  # fmt: skip
    registered_at = models.DateTimeField("注册时间", auto_now_add=True)

    objects = WithinQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "爱心人士和企业"

    @property
    def public_name(self) -> str:
        """An organisation is shown by its name; a person by surname only."""
        if self.kind != "个人":
            return self.name
        return f"爱心人士{self.name[:1]}**" if self.name else "爱心人士"


class Need(models.Model):
    """A need of a network household, published by a manager."""

    CATEGORIES = ("资金", "物资", "就业", "消费扶贫")
    PUBLISHED, MATCHED, DELIVERED, WITHDRAWN = "已发布", "已对接", "已送达", "已撤下"
    STATES = (PUBLISHED, MATCHED, DELIVERED, WITHDRAWN)

    network_household = models.ForeignKey(
        NetworkHousehold, on_delete=models.CASCADE, related_name="needs"
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, db_constraint=False, related_name="+"
    )
    category = models.CharField("需求类别", max_length=10, choices=[(c, c) for c in CATEGORIES])
    title = models.CharField("需求标题", max_length=100)
    description = models.TextField("需求说明")
    amount = models.DecimalField(
        "金额或价值（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    state = models.CharField("状态", max_length=10, choices=[(s, s) for s in STATES])
    published_on = models.DateField("发布日期")
    published_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = WithinQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "帮扶需求"
        ordering = ["-published_on", "-id"]


class Pledge(models.Model):
    """A donor's pledge to a need: money, goods, a job or a purchase (消费扶贫)."""

    KINDS = ("捐款", "捐物", "提供岗位", "消费购买")
    PLEDGED, DELIVERED, CANCELLED = "已认捐", "已送达", "已取消"
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="pledges")
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="pledges")
    kind = models.CharField("帮扶方式", max_length=10, choices=[(k, k) for k in KINDS])
    amount = models.DecimalField("金额或价值（元）", max_digits=14, decimal_places=2, default=0)
    description = models.CharField("内容", max_length=200)
    state = models.CharField(
        "状态", max_length=10, choices=[(s, s) for s in (PLEDGED, DELIVERED, CANCELLED)]
    )
    pledged_at = models.DateTimeField("认捐时间", auto_now_add=True)
    delivered_on = models.DateField("送达日期", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "认捐"
        ordering = ["-pledged_at", "-id"]

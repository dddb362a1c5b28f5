"""扶贫资金与项目: project library, allocations, disbursements, household payments, notices.

Money flows allocation (下达, by source and fund year, to a county or a project) →
disbursement (拨付, possibly through a township) → household payment (到户资金, where the
money ends with a person). A county's reported carry-over (结转结余) per source and fund year
closes the books: allocated = disbursed + carried over, to the fen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from fupin.engine.funds.projects_format import (
    FUND_SOURCES,
    PAYMENT_KINDS,
    PROCUREMENT_METHODS,
    PROJECT_KINDS,
    PROJECT_STATUSES,
)
from fupin.registry import regions
from fupin.registry.models import Household, Member, Region


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


class CountyQuerySet(models.QuerySet):  # type: ignore[type-arg]
    county_field = "county_id"

    def within(self, code: str) -> CountyQuerySet:
        low, high = regions.subtree_range(code)
        return self.filter(
            **{f"{self.county_field}__gte": low[:6] + "000000", f"{self.county_field}__lte": high}
        )


class Project(models.Model):
    """项目库中的一个项目."""

    code = models.CharField("项目编号", max_length=64, unique=True)
    name = models.CharField("项目名称", max_length=200)
    kind = models.CharField("项目类型", max_length=20, choices=_choices(PROJECT_KINDS))
    county = models.ForeignKey(
        Region, verbose_name="所在县", on_delete=models.PROTECT, related_name="fund_projects"
    )
    village = models.ForeignKey(
        Region,
        verbose_name="所在村",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="village_projects",
    )
    plan_year = models.IntegerField("计划年度")
    budget = models.DecimalField("预算金额（元）", max_digits=16, decimal_places=2)
    funding_sources = models.CharField("资金来源", max_length=200, blank=True, default="")
    beneficiary_households = models.ManyToManyField(
        Household, verbose_name="受益户", blank=True, related_name="fund_projects"
    )
    beneficiary_villages = models.ManyToManyField(
        Region, verbose_name="受益村", blank=True, related_name="benefiting_projects"
    )
    implementing_unit = models.CharField("实施单位", max_length=200, blank=True, default="")
    tender_date = models.DateField("招标日期", null=True, blank=True)
    procurement_method = models.CharField(
        "采购方式", max_length=20, blank=True, default="", choices=_choices(PROCUREMENT_METHODS)
    )
    winning_bidder = models.CharField("中标单位", max_length=200, blank=True, default="")
    approved_on = models.DateField("批复日期", null=True, blank=True)
    started_on = models.DateField("开工日期", null=True, blank=True)
    completed_on = models.DateField("完工日期", null=True, blank=True)
    accepted_on = models.DateField("验收日期", null=True, blank=True)
    status = models.CharField(
        "项目状态", max_length=10, choices=_choices(PROJECT_STATUSES), default="储备"
    )

    objects = CountyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "扶贫项目"
        ordering = ["county_id", "plan_year", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Allocation(models.Model):
    """资金下达: money of one source and fund year reaching a county (or one of its projects)."""

    county = models.ForeignKey(
        Region, verbose_name="县", on_delete=models.PROTECT, related_name="fund_allocations"
    )
    project = models.ForeignKey(
        Project,
        verbose_name="项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    source = models.CharField("资金来源", max_length=20, choices=_choices(FUND_SOURCES))
    fund_year = models.IntegerField("资金年度")
    document_number = models.CharField("文号", max_length=100, blank=True, default="")
    allocated_on = models.DateField("下达日期")
    amount = models.DecimalField("金额（元）", max_digits=16, decimal_places=2)

    objects = CountyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "资金下达"
        ordering = ["county_id", "fund_year", "source", "allocated_on"]
        indexes = [models.Index(fields=["county", "fund_year", "source"])]

    def __str__(self) -> str:
        return f"{self.fund_year}年{self.source}资金 {self.amount}元"


class Disbursement(models.Model):
    """资金拨付 out of an allocation: to a project, a township, or households.

    Money routed through a township records when the township received it (拨付日期) and when
    it paid it on (乡镇拨出日期); until then it is held at township level.
    """

    allocation = models.ForeignKey(
        Allocation, verbose_name="下达资金", on_delete=models.PROTECT, related_name="disbursements"
    )
    project = models.ForeignKey(
        Project,
        verbose_name="项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disbursements",
    )
    township = models.ForeignKey(
        Region,
        verbose_name="经由乡镇",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="township_disbursements",
    )
    payee = models.CharField("收款单位", max_length=200, blank=True, default="")
    voucher = models.CharField("拨付凭证号", max_length=100, blank=True, default="", db_index=True)
    disbursed_on = models.DateField("拨付日期")
    township_paid_on = models.DateField("乡镇拨出日期", null=True, blank=True)
    amount = models.DecimalField("金额（元）", max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = "资金拨付"
        ordering = ["disbursed_on"]


class CarryOver(models.Model):
    """结转结余 reported by the county for one source and fund year at a date (usually 12-31)."""

    county = models.ForeignKey(
        Region, verbose_name="县", on_delete=models.PROTECT, related_name="fund_carryovers"
    )
    source = models.CharField("资金来源", max_length=20, choices=_choices(FUND_SOURCES))
    fund_year = models.IntegerField("资金年度")
    as_of = models.DateField("截止日期")
    amount = models.DecimalField("结转结余金额（元）", max_digits=16, decimal_places=2)

    objects = CountyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "结转结余"
        constraints = [
            models.UniqueConstraint(
                fields=["county", "source", "fund_year", "as_of"], name="carryover_once_per_date"
            )
        ]


class IntegrationPlan(models.Model):
    """统筹整合财政涉农资金 plan of a county for a year (seed 004 item 33)."""

    county = models.ForeignKey(
        Region, verbose_name="县", on_delete=models.PROTECT, related_name="integration_plans"
    )
    year = models.IntegerField("年度")
    in_scope_amount = models.DecimalField(
        "纳入整合范围的资金规模（元）", max_digits=16, decimal_places=2
    )
    planned_amount = models.DecimalField("计划整合资金规模（元）", max_digits=16, decimal_places=2)

    objects = CountyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "涉农资金整合计划"
        constraints = [
            models.UniqueConstraint(fields=["county", "year"], name="integration_plan_once")
        ]


class Payment(models.Model):
    """到户资金: money paid to a person, as recorded by the paying office.

    Payee name and ID number are what the paying office wrote; member and household are the
    registry rows they were matched to (empty when the person is not in the registry).
    """

    county = models.ForeignKey(
        Region, verbose_name="县", on_delete=models.PROTECT, related_name="fund_payments"
    )
    disbursement = models.ForeignKey(
        Disbursement,
        verbose_name="拨付",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    project = models.ForeignKey(
        Project,
        verbose_name="项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    kind = models.CharField("补助类型", max_length=20, choices=_choices(PAYMENT_KINDS))
    fund_year = models.IntegerField("资金年度")
    payee_name = models.CharField("领款人姓名", max_length=100)
    payee_id_number = models.CharField("领款人身份证号", max_length=18)
    member = models.ForeignKey(
        Member,
        verbose_name="家庭成员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fund_payments",
    )
    household = models.ForeignKey(
        Household,
        verbose_name="户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fund_payments",
    )
    village = models.ForeignKey(
        Region,
        verbose_name="村",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="village_payments",
    )
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)
    paid_on = models.DateField("发放日期")

    objects = CountyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "到户资金"
        ordering = ["paid_on"]
        indexes = [models.Index(fields=["payee_id_number", "kind", "fund_year"])]


NOTICE_KINDS = ("资金分配", "项目安排", "到户资金")


class Notice(models.Model):
    """公告公示 of fund allocation, project arrangement or household payments at one level."""

    region = models.ForeignKey(
        Region, verbose_name="公示地区", on_delete=models.PROTECT, related_name="fund_notices"
    )
    level = models.CharField(
        "公示层级", max_length=2, choices=[("县", "县"), ("乡", "乡"), ("村", "村")]
    )
    kind = models.CharField("公示类型", max_length=10, choices=_choices(NOTICE_KINDS))
    fund_year = models.IntegerField("资金年度")
    title = models.CharField("标题", max_length=200)
    published_on = models.DateField("公示日期")
    ends_on = models.DateField("公示截止日期", null=True, blank=True)
    projects = models.ManyToManyField(
        Project, verbose_name="公示项目", blank=True, related_name="notices"
    )
    body = models.TextField("说明", blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "公告公示"
        ordering = ["-published_on"]

    def __str__(self) -> str:
        return self.title


class FundsLog(models.Model):
    """Audit of every change made through fupin.funds.actions: who, when, what."""

    at = models.DateTimeField("时间", auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    action = models.CharField("操作", max_length=50)
    subject = models.CharField("对象", max_length=200)
    details = models.JSONField("详情", default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "资金操作记录"
        ordering = ["-at"]

"""A sampling plan uploaded by an assessor (the workbook `fupin sample` writes) and one Visit
per household to visit, which carries the findings as survey.csv (FORMAT.md) has them.

The plan's design (selection probabilities of the registered households, the sampled villages)
is kept as the engine reads it from the workbook (`read_plan`), so the rates of the site are
computed on exactly the design `fupin assess --plan` would use.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Plan(models.Model):
    county_code = models.CharField("县区划代码", max_length=12, db_index=True)
    name = models.CharField("抽样方案", max_length=200)
    policy = models.CharField("评估策略", max_length=100, default="assessment-yunnan-2017")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # survey.PlanDesign as rows: {"registered": [...], "villages": [...]}
    design = models.JSONField("抽样设计", default=dict)
    snapshot = models.CharField("数据快照", max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = verbose_name_plural = "抽样方案"

    def __str__(self) -> str:
        return f"{self.name}（{self.county_code}）"


class Visit(models.Model):
    """One household to visit, with the assessor's findings (empty until visited)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="visits")
    position = models.PositiveIntegerField("序号")  # the row order of the plan's survey sheet
    unit_id = models.CharField("抽样编号", max_length=60)
    region_code = models.CharField("区划代码", max_length=12, db_index=True)
    village_name = models.CharField("村名", max_length=100, blank=True, default="")
    household_id = models.CharField("户编号", max_length=60, blank=True, default="")
    head_name = models.CharField("户主姓名", max_length=100, blank=True, default="")
    registered = models.BooleanField("建档立卡户")
    status_claimed = models.CharField("系统状态", max_length=10, blank=True, default="")
    weak = models.CharField("重点群体", max_length=100, blank=True, default="")
    weight = models.FloatField("权重", null=True, blank=True)
    stratum = models.CharField("层", max_length=60, blank=True, default="")
    cluster = models.CharField("群", max_length=60, blank=True, default="")
    # findings (survey.csv fields); people is given by the plan for registered households and
    # counted on site for a non-registered one
    people = models.PositiveIntegerField("家庭人口", null=True, blank=True)
    meets_exit_standard = models.BooleanField("达到脱贫标准", null=True, blank=True)
    should_be_registered = models.BooleanField("应纳未纳", null=True, blank=True)
    missed_people = models.PositiveIntegerField("漏评人口", null=True, blank=True)
    should_not_be_registered = models.BooleanField("不应纳入", null=True, blank=True)
    satisfied = models.BooleanField("认可", null=True, blank=True)
    visited_at = models.DateTimeField("调查时间", null=True, blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="调查人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["plan", "position"]
        verbose_name = verbose_name_plural = "调查户"
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="assessment_visit_position")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}（{self.region_code}）"

    @property
    def visited(self) -> bool:
        return self.visited_at is not None

"""A stored comparison run (`fupin compare --store`) and its findings.

The rectification ledger links an item to a finding by `source_kind="comparison"` and
`source_ref=str(finding.pk)`; `Finding.ledger_ref()` gives that pair.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

SOURCE_KIND = "comparison"


class ComparisonRun(models.Model):
    created_at = models.DateTimeField("比对时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    as_of = models.DateField("比对日期")
    rules = models.CharField("比对规则", max_length=100)
    data_source = models.CharField("建档立卡数据", max_length=500)
    rosters_source = models.CharField("部门数据", max_length=500)
    summary = models.JSONField("汇总", default=dict)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "比对批次"
        verbose_name_plural = "比对批次"

    def __str__(self) -> str:
        return f"{self.as_of:%Y-%m-%d} 比对（{self.rules}）"


class Finding(models.Model):
    SEVERITIES = [("高", "高"), ("中", "中"), ("低", "低")]
    KINDS = [("finding", "部门数据比对"), ("check", "逻辑校验")]

    run = models.ForeignKey(ComparisonRun, on_delete=models.CASCADE, related_name="findings")
    finding_id = models.CharField("问题类型", max_length=60, db_index=True)
    finding_name = models.CharField("问题名称", max_length=200)
    severity = models.CharField("严重程度", max_length=2, choices=SEVERITIES)
    kind = models.CharField("类别", max_length=10, choices=KINDS)
    household_id = models.CharField("户编号", max_length=40, blank=True, db_index=True)
    id_number = models.CharField("身份证号", max_length=40, blank=True)
    name = models.CharField("姓名", max_length=100, blank=True)
    region_code = models.CharField("区划代码", max_length=12, blank=True, db_index=True)
    roster = models.CharField("部门数据", max_length=60, blank=True)
    match_method = models.CharField("匹配方式", max_length=20, blank=True)
    match_probability = models.FloatField("匹配概率", null=True, blank=True)
    detail = models.TextField("说明")
    source = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        ordering = ["run", "pk"]
        verbose_name = "比对发现"
        verbose_name_plural = "比对发现"

    def __str__(self) -> str:
        return f"{self.finding_name}：{self.name or self.household_id}"

    def ledger_ref(self) -> tuple[str, str]:
        """(source_kind, source_ref) for a rectification item made from this finding."""
        return SOURCE_KIND, str(self.pk)

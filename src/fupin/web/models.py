"""Site models: who a user is in the hierarchy, the audit log, adjustment requests, API tokens."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models

from fupin.registry.models import Household, Region
from fupin.web.roles import ROLES


class UserProfile(models.Model):
    """A user's region (any level), unit and roles (comma-separated)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    region = models.ForeignKey(
        Region, verbose_name="所属区划", on_delete=models.PROTECT, db_constraint=False
    )
    unit = models.CharField("单位", max_length=200, blank=True, default="")
    roles = models.CharField("角色", max_length=200, help_text="以逗号分隔：" + "、".join(ROLES))

    class Meta:
        verbose_name = verbose_name_plural = "用户信息"

    def __str__(self) -> str:
        return f"{self.user.get_username()}（{self.roles}）"

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]


class AuditLog(models.Model):
    """Who did what, when and from where: reveals, exports, changes, logins."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    username = models.CharField("用户名", max_length=150, db_index=True)
    action = models.CharField("操作", max_length=40, db_index=True)
    target = models.CharField("对象", max_length=200, blank=True, default="", db_index=True)
    detail = models.TextField("详情", blank=True, default="")
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]


class LoginFailure(models.Model):
    """Failed logins of one username, for the lockout."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.IntegerField(default=0)
    last_failure = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)


class AdjustmentRequest(models.Model):
    """A dynamic adjustment (动态调整) asked by a clerk, applied when a 审核员 approves it."""

    KINDS = [(x, x) for x in ("标注脱贫", "返贫", "清退", "新识别")]
    PENDING, APPROVED, REJECTED = "待审核", "已批准", "已驳回"
    STATES = [(x, x) for x in (PENDING, APPROVED, REJECTED)]

    household = models.ForeignKey(
        Household,
        verbose_name="户",
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="adjustments",
    )
    kind = models.CharField("调整类型", max_length=10, choices=KINDS)
    year = models.IntegerField("年度")
    reason = models.TextField("理由")
    state = models.CharField("状态", max_length=10, choices=STATES, default=PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.TextField("审核意见", blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "动态调整申请"
        ordering = ["-requested_at"]


class ApiToken(models.Model):
    """A token for the HTTP API; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField("名称", max_length=100, blank=True, default="")
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class ExitVerdict(models.Model):
    """A household's exit verdict on the latest snapshot (see fupin.web.verdicts.refresh)."""

    household_id = models.CharField("户编号", max_length=64, unique=True)
    region_code = models.CharField("区划代码", max_length=12, db_index=True)
    status = models.CharField("贫困状态", max_length=20, blank=True, default="")
    passed = models.BooleanField("达标")
    verdict = models.CharField("结论", max_length=20)
    failed_criteria = models.CharField("未达标指标", max_length=500, blank=True, default="")
    unknown_criteria = models.CharField("无法判断指标", max_length=500, blank=True, default="")
    gaps = models.TextField("差距", blank=True, default="")
    per_capita_net_income = models.FloatField("人均纯收入", null=True, blank=True)
    snapshot = models.CharField("快照", max_length=100)
    policy = models.CharField("政策", max_length=100)
    evaluated_at = models.DateTimeField("评估时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "退出评估结论"
        indexes = [models.Index(fields=["region_code", "passed"])]


class RegionVerdict(models.Model):
    """A village's or county's exit verdict on the latest snapshot (see verdicts.refresh)."""

    region_code = models.CharField("区划代码", max_length=12, unique=True)
    level = models.CharField("级别", max_length=2)
    passed = models.BooleanField("达标")
    verdict = models.CharField("结论", max_length=20)
    failed_criteria = models.CharField("未达标指标", max_length=500, blank=True, default="")
    unknown_criteria = models.CharField("无法判断指标", max_length=500, blank=True, default="")
    gaps = models.TextField("差距", blank=True, default="")
    incidence = models.FloatField("贫困发生率（%）", null=True, blank=True)
    snapshot = models.CharField("快照", max_length=100)
    policy = models.CharField("政策", max_length=100)

    class Meta:
        verbose_name = verbose_name_plural = "村县退出评估结论"


class ImportJob(models.Model):
    """A check or an import started on the site and run in the background, with its progress.

    An upload is first checked (kind 检查: nothing written, the problems and the would-be
    counts), then imported (kind 导入) from the same upload once its check found no problem.
    The page polls it (fupin.web.jobs); the counts or the problems are kept here so the result
    can be shown again when the user comes back.
    """

    QUEUED, CHECKING, WRITING, DONE, FAILED = "排队", "检查中", "写入中", "完成", "失败"
    STATES = [(x, x) for x in (QUEUED, CHECKING, WRITING, DONE, FAILED)]
    RUNNING = (QUEUED, CHECKING, WRITING)
    CHECK, IMPORT = "检查", "导入"
    KINDS = [(x, x) for x in (CHECK, IMPORT)]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    region_code = models.CharField("操作人区划", max_length=12, blank=True, default="")
    kind = models.CharField("类型", max_length=4, choices=KINDS, default=IMPORT)
    token = models.CharField("上传编号", max_length=32)
    source = models.CharField("文件", max_length=500, blank=True, default="")
    state = models.CharField("状态", max_length=10, choices=STATES, default=QUEUED)
    phase = models.CharField("阶段", max_length=200, blank=True, default="")
    done = models.BigIntegerField("已处理", default=0)
    total = models.BigIntegerField("总数", null=True, blank=True)
    counts = models.JSONField("统计", default=list)  # [[table, {outcome: n}], …] in file order
    warnings = models.JSONField("提示", default=list)
    problem_count = models.IntegerField("问题数", default=0)
    problems = models.JSONField("问题（前500个）", default=list)
    refused = models.BooleanField("超出管辖范围", default=False)
    committed = models.BooleanField("已写入", default=False)
    error = models.TextField("错误", blank=True, default="")
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "网页导入任务"
        ordering = ["-created_at", "-id"]

    @property
    def running(self) -> bool:
        return self.state in self.RUNNING

    @property
    def is_check(self) -> bool:
        return self.kind == self.CHECK

    @property
    def passed(self) -> bool:
        """A check that ran to the end and found nothing: its upload may be imported."""
        return self.is_check and self.state == self.DONE and not self.problem_count

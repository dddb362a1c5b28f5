"""Governance ledgers (台账): units and people, task lists, rectification, exit procedures.

State changes go through `fupin.governance.actions` (atomic, audited with the acting user);
the models here own only their queries and a few derived properties.
"""

from __future__ import annotations

import datetime as dt
import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models

from fupin import config


class HomeMediaStorage(FileSystemStorage):
    """Files under FUPIN_HOME/media, the home read at each use (so a test or a command can move it)."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(config.fupin_home() / "media")

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def media_storage() -> FileSystemStorage:
    return HomeMediaStorage(base_url="/media/")


REGION_CODE_HELP = "12位统计用区划代码"


class Organisation(models.Model):
    """单位: a party committee, a government, a department, a work group…, placed in a region."""

    KINDS = [
        (x, x)
        for x in (
            "党委",
            "政府",
            "党委和政府",
            "部门",
            "工作机构",
            "金融机构",
            "企业",
            "群团",
            "其他",
        )
    ]

    name = models.CharField("单位名称", max_length=200)
    kind = models.CharField("类型", max_length=10, choices=KINDS, default="部门")
    region_code = models.CharField(
        "所在区划", max_length=12, db_index=True, help_text=REGION_CODE_HELP
    )
    region_name = models.CharField("区划名称", max_length=100, blank=True, default="")
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    aliases = models.TextField("别称", blank=True, default="", help_text="每行一个，如文件中的简称")

    class Meta:
        verbose_name = verbose_name_plural = "单位"
        ordering = ["region_code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "name"], name="organisation_name_in_region"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.region_name}）" if self.region_name else self.name


class Contact(models.Model):
    """联络员 of a unit."""

    organisation = models.ForeignKey(
        Organisation, verbose_name="单位", on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField("姓名", max_length=100)
    title = models.CharField("职务", max_length=100, blank=True, default="")
    phone = models.CharField("电话", max_length=40, blank=True, default="")
    email = models.CharField("电子邮箱", max_length=200, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="系统用户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )

    class Meta:
        verbose_name = verbose_name_plural = "联络员"

    def __str__(self) -> str:
        return f"{self.name}（{self.organisation.name}）"


class GovernanceMembership(models.Model):
    """A user works for a unit; the unit's region is the user's region for the ledgers."""

    ROLES = [("办理", "办理"), ("审核", "审核（可销号）"), ("负责人", "负责人"), ("查看", "查看")]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="governance_memberships",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="单位", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField("角色", max_length=10, choices=ROLES, default="办理")

    class Meta:
        verbose_name = verbose_name_plural = "单位成员"
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation.name}"


class AuditEntry(models.Model):
    """One state change made by a person (or a command), with structured details."""

    at = models.DateTimeField("时间", auto_now_add=True)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    action = models.CharField("操作", max_length=60)
    object_type = models.CharField("对象类型", max_length=60)
    object_id = models.CharField("对象", max_length=60)
    details = models.JSONField("详情", default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "操作记录"
        ordering = ["-at", "-id"]


# ---------------------------------------------------------------- tasks (任务清单 / 责任分工)


class TaskList(models.Model):
    REPORT_KINDS = [
        ("none", "不定期"),
        ("monthly", "每月"),
        ("semiannual", "每半年（7月20日、1月20日前）"),
    ]

    key = models.SlugField("编号", max_length=60, unique=True)
    title = models.CharField("名称", max_length=300)
    source = models.CharField("出处", max_length=300, blank=True, default="")
    issued = models.DateField("印发日期", null=True, blank=True)
    year = models.IntegerField("年度")
    region_code = models.CharField("区划", max_length=12, db_index=True)
    region_name = models.CharField("区划名称", max_length=100, blank=True, default="")
    report_kind = models.CharField("报送周期", max_length=12, choices=REPORT_KINDS, default="none")
    report_days = models.JSONField("报送日期", default=list, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "任务清单"
        ordering = ["key"]

    def __str__(self) -> str:
        return self.title


class TaskQuerySet(models.QuerySet["Task"]):
    def items(self) -> TaskQuerySet:
        return self.filter(kind="item")

    def open(self) -> TaskQuerySet:
        return self.exclude(status__in=["done", "cancelled"])

    def overdue(self, today: dt.date) -> TaskQuerySet:
        return self.items().open().filter(due__lt=today)

    def due_soon(self, today: dt.date, days: int = 15) -> TaskQuerySet:
        return self.items().open().filter(due__gte=today, due__lte=today + dt.timedelta(days=days))

    def for_organisation(self, organisation: Organisation) -> TaskQuerySet:
        return self.filter(units__organisation=organisation).distinct()


class Task(models.Model):
    KINDS = [("part", "部分"), ("section", "章节"), ("item", "任务"), ("subitem", "子项")]
    STATUSES = [
        ("not_started", "未开始"),
        ("in_progress", "推进中"),
        ("done", "已完成"),
        ("cancelled", "已取消"),
    ]

    task_list = models.ForeignKey(
        TaskList, verbose_name="清单", on_delete=models.CASCADE, related_name="tasks"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    number = models.CharField("序号", max_length=40)
    position = models.IntegerField("顺序", default=0)
    kind = models.CharField("层级", max_length=10, choices=KINDS, default="item")
    title = models.CharField("标题", max_length=300, blank=True, default="")
    text = models.TextField("任务内容")
    region_code = models.CharField("区划", max_length=12, db_index=True)
    leader = models.CharField("责任领导", max_length=100, blank=True, default="")
    start = models.DateField("开始日期", null=True, blank=True)
    due = models.DateField("完成时限", null=True, blank=True)
    long_term = models.BooleanField("长期坚持", default=False)
    due_text = models.CharField("时限原文", max_length=100, blank=True, default="")
    recurring = models.CharField("周期性要求", max_length=60, blank=True, default="")
    milestones = models.JSONField("节点", default=list, blank=True)
    targets = models.JSONField("量化目标", default=list, blank=True)
    notes = models.JSONField("整理说明", default=list, blank=True)
    status = models.CharField("状态", max_length=12, choices=STATUSES, default="not_started")
    completed_on = models.DateField("完成日期", null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "任务"
        ordering = ["task_list", "position"]
        constraints = [
            models.UniqueConstraint(fields=["task_list", "number"], name="task_number_in_list")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title or self.text[:30]}"

    def unit_names(self, role: str) -> list[str]:
        return [u.name_as_printed for u in self.units.all() if u.role == role]

    @property
    def due_display(self) -> str:
        if self.long_term:
            return "长期坚持"
        return self.due.isoformat() if self.due else ""

    def is_late(self, today: dt.date) -> bool:
        if self.due is None or self.long_term:
            return False
        if self.status == "done":
            return bool(self.completed_on and self.completed_on > self.due)
        return self.due < today


class TaskUnit(models.Model):
    ROLES = [("lead", "牵头单位"), ("co", "协同单位")]

    task = models.ForeignKey(
        Task, verbose_name="任务", on_delete=models.CASCADE, related_name="units"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="单位", on_delete=models.PROTECT, related_name="task_units"
    )
    role = models.CharField("职责", max_length=4, choices=ROLES)
    name_as_printed = models.CharField("原文名称", max_length=200)
    position = models.IntegerField("顺序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "任务责任单位"
        ordering = ["task", "role", "position"]
        constraints = [
            models.UniqueConstraint(fields=["task", "organisation", "role"], name="task_unit_once")
        ]


class ProgressReport(models.Model):
    """进展报送: what a unit did on a task in a period (a month, or a half year)."""

    task = models.ForeignKey(
        Task, verbose_name="任务", on_delete=models.CASCADE, related_name="reports"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="报送单位", null=True, blank=True, on_delete=models.SET_NULL
    )
    period = models.CharField("报送期", max_length=20, help_text="如 2017-10 或 2016H1")
    text = models.TextField("进展情况")
    figures = models.JSONField("数据", default=dict, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报送人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    submitted_at = models.DateTimeField("报送时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "进展报送"
        ordering = ["-submitted_at"]


class ReportAttachment(models.Model):
    report = models.ForeignKey(
        ProgressReport, verbose_name="报送", on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField("附件", upload_to="governance/reports/%Y/%m/", storage=media_storage)
    name = models.CharField("名称", max_length=200, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "报送附件"


# ---------------------------------------------------------------- rectification (整改台账)


SOURCE_KINDS = [
    ("assessment", "考核评估"),
    ("comparison", "比对发现"),
    ("inspection", "督查巡查"),
    ("petition", "信访"),
    ("other", "其他"),
]


class RectificationPlan(models.Model):
    key = models.SlugField("编号", max_length=60, unique=True)
    title = models.CharField("整改方案", max_length=300)
    issuer = models.CharField("印发单位", max_length=200, blank=True, default="")
    region_code = models.CharField("区划", max_length=12, db_index=True)
    region_name = models.CharField("区划名称", max_length=100, blank=True, default="")
    source_kind = models.CharField("问题来源", max_length=12, choices=SOURCE_KINDS)
    source_ref = models.CharField("来源文号或编号", max_length=200, blank=True, default="")
    issued = models.DateField("印发日期", null=True, blank=True)
    year = models.IntegerField("年度")
    schedule = models.JSONField("工作节点", default=list, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "整改方案"

    def __str__(self) -> str:
        return self.title


class RectificationMeasure(models.Model):
    """整改措施 of a plan, with its lead department, responsible units and deadline."""

    plan = models.ForeignKey(
        RectificationPlan, verbose_name="方案", on_delete=models.CASCADE, related_name="measures"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级措施",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="parts",
    )
    number = models.CharField("序号", max_length=20)
    position = models.IntegerField("顺序", default=0)
    text = models.TextField("整改措施")
    due = models.DateField("整改时限", null=True, blank=True)
    long_term = models.BooleanField("长期坚持", default=False)
    due_text = models.CharField("时限原文", max_length=60, blank=True, default="")
    notes = models.JSONField("整理说明", default=list, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "整改措施"
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="measure_number_in_plan")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text[:30]}"

    def unit_names(self, role: str) -> list[str]:
        return [u.name_as_printed for u in self.units.all() if u.role == role]

    @property
    def due_display(self) -> str:
        if self.long_term:
            return "长期坚持"
        return self.due.isoformat() if self.due else ""


class MeasureUnit(models.Model):
    ROLES = [("lead", "牵头部门"), ("responsible", "责任单位")]

    measure = models.ForeignKey(
        RectificationMeasure, verbose_name="措施", on_delete=models.CASCADE, related_name="units"
    )
    organisation = models.ForeignKey(Organisation, verbose_name="单位", on_delete=models.PROTECT)
    role = models.CharField("职责", max_length=12, choices=ROLES)
    name_as_printed = models.CharField("原文名称", max_length=200)
    position = models.IntegerField("顺序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "措施责任单位"
        ordering = ["measure", "role", "position"]


class ProblemQuerySet(models.QuerySet["Problem"]):
    def open(self) -> ProblemQuerySet:
        """Not closed: a reopened item is open again."""
        return self.exclude(status="closed")


class Problem(models.Model):
    """A ledger entry: a problem found, who fixes it by when, and whether it is closed (销号)."""

    STATUSES = [("open", "整改中"), ("closed", "已销号"), ("reopened", "重新整改")]

    plan = models.ForeignKey(
        RectificationPlan,
        verbose_name="整改方案",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="problems",
    )
    number = models.CharField("序号", max_length=20)
    group_number = models.CharField("类别序号", max_length=10, blank=True, default="")
    group_title = models.CharField("问题类别", max_length=200, blank=True, default="")
    position = models.IntegerField("顺序", default=0)
    text = models.TextField("问题")
    source_kind = models.CharField("问题来源", max_length=12, choices=SOURCE_KINDS)
    source_ref = models.CharField(
        "来源编号", max_length=200, blank=True, default="", help_text="如考核通报文号、比对发现编号"
    )
    region_code = models.CharField("区划", max_length=12, db_index=True)
    figures = models.JSONField("测算数据", default=list, blank=True)
    lead_unit = models.ForeignKey(
        Organisation,
        verbose_name="牵头部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_problems",
    )
    responsible_units = models.ManyToManyField(
        Organisation, verbose_name="责任单位", blank=True, related_name="problems"
    )
    measures = models.ManyToManyField(
        RectificationMeasure, verbose_name="整改措施", blank=True, related_name="problems"
    )
    measures_text = models.TextField("整改措施（补充）", blank=True, default="")
    due = models.DateField("整改时限", null=True, blank=True)
    long_term = models.BooleanField("长期坚持", default=False)
    status = models.CharField("状态", max_length=10, choices=STATUSES, default="open")
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="销号经办人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="销号审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reopen_count = models.IntegerField("重新整改次数", default=0)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "整改台账"
        ordering = ["plan", "position", "id"]

    def __str__(self) -> str:
        return f"{self.number} {self.text[:30]}"

    @property
    def is_open(self) -> bool:
        return self.status != "closed"

    @property
    def figures_display(self) -> str:
        from fupin.governance.exports import _figures_text

        return _figures_text(self.figures)

    @property
    def due_display(self) -> str:
        if self.long_term:
            return "长期坚持"
        return self.due.isoformat() if self.due else ""


class ProblemNote(models.Model):
    KINDS = [("progress", "整改进展"), ("close", "销号"), ("reopen", "重新整改"), ("check", "核查")]

    problem = models.ForeignKey(
        Problem, verbose_name="问题", on_delete=models.CASCADE, related_name="notes"
    )
    kind = models.CharField("类型", max_length=10, choices=KINDS, default="progress")
    text = models.TextField("内容")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "整改进展"
        ordering = ["created_at", "id"]


class Evidence(models.Model):
    """佐证材料 of a rectification."""

    problem = models.ForeignKey(
        Problem, verbose_name="问题", on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField("文件", upload_to="governance/evidence/%Y/%m/", storage=media_storage)
    description = models.CharField("说明", max_length=300)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "佐证材料"


# ---------------------------------------------------------------- exit procedures (退出程序)


class CountyExit(models.Model):
    """贫困县退出: one county's exit in one year, driven by an exit-procedure policy file."""

    county_code = models.CharField("县区划代码", max_length=12, db_index=True)
    county_name = models.CharField("县名称", max_length=100)
    year = models.IntegerField("申请退出年度")
    national = models.BooleanField("国家级贫困县", default=False)
    policy = models.CharField("程序依据", max_length=80)
    state = models.CharField("当前环节", max_length=40)
    outcome = models.CharField(
        "结论",
        max_length=20,
        blank=True,
        default="",
        choices=[("", "进行中"), ("rejected", "不予退出"), ("exited", "批准退出")],
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "贫困县退出"
        constraints = [
            models.UniqueConstraint(fields=["county_code", "year"], name="county_exit_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.county_name}{self.year}年退出"

    @property
    def region_code(self) -> str:
        return self.county_code

    @property
    def state_name(self) -> str:
        from fupin.governance import procedure

        try:
            return procedure.load(self.policy).step(self.state).name
        except procedure.ProcedureError:
            return self.state


class ExitStep(models.Model):
    """One decision in a county's exit: who decided, when, on what documents, with what figures."""

    OUTCOMES = [
        ("passed", "通过"),
        ("rejected", "不予退出"),
        ("returned", "退回整改"),
        ("materials_requested", "补充材料"),
    ]

    county_exit = models.ForeignKey(
        CountyExit, verbose_name="退出", on_delete=models.CASCADE, related_name="steps"
    )
    step = models.CharField("环节", max_length=40)
    step_name = models.CharField("环节名称", max_length=100)
    outcome = models.CharField("结果", max_length=20, choices=OUTCOMES)
    decided_on = models.DateField("决定日期")
    deciding_body = models.CharField("决定机关", max_length=200, blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, on_delete=models.SET_NULL
    )
    documents = models.JSONField("依据文件", default=list, blank=True)
    figures = models.JSONField("数据", default=dict, blank=True)
    rule = models.CharField("适用规则", max_length=80, blank=True, default="")
    message = models.TextField("意见", blank=True, default="")
    late = models.BooleanField("超过时限", default=False)
    deadline = models.DateField("时限", null=True, blank=True)
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "退出环节记录"
        ordering = ["decided_on", "id"]


class ExitDocument(models.Model):
    """A document a step was decided on (申请报告, 初审意见, 评估报告…), uploaded."""

    step = models.ForeignKey(
        ExitStep, verbose_name="环节记录", on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField("文件", upload_to="governance/exits/%Y/", storage=media_storage)
    name = models.CharField("文件名称", max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "退出环节文件"


class HouseholdExit(models.Model):
    """贫困户退出 in a year: 民主评议 → 村内公示 → 乡镇审核 → 县级审定 (then 标注脱贫)."""

    household = models.ForeignKey(
        "registry.Household",
        verbose_name="贫困户",
        on_delete=models.CASCADE,
        related_name="exit_procedures",
    )
    year = models.IntegerField("脱贫年度")
    state = models.CharField("当前环节", max_length=20, default="民主评议")
    outcome = models.CharField(
        "结论",
        max_length=10,
        blank=True,
        default="",
        choices=[("", "进行中"), ("exited", "已标注脱贫"), ("stopped", "未通过")],
    )

    class Meta:
        verbose_name = verbose_name_plural = "贫困户退出"
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="household_exit_per_year")
        ]


class HouseholdExitStep(models.Model):
    household_exit = models.ForeignKey(
        HouseholdExit, verbose_name="退出", on_delete=models.CASCADE, related_name="steps"
    )
    step = models.CharField("环节", max_length=20)
    passed = models.BooleanField("通过")
    decided_on = models.DateField("日期")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, on_delete=models.SET_NULL
    )
    note = models.TextField("说明", blank=True, default="")
    documents = models.JSONField("依据文件", default=list, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "贫困户退出环节"
        ordering = ["decided_on", "id"]

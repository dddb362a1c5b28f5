"""The 建档立卡 registry: regions, households, members, measures, helpers, villages, visits.

Current rows carry typed columns for the site and queries; their history lives in
RecordVersion (one row per version, with the canonical standard-format values), which is
what `freeze` reads to give the registry as of any past date.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from fupin.registry import regions


class RegionQuerySet(models.QuerySet["Region"]):
    def within(self, code: str) -> RegionQuerySet:
        low, high = regions.subtree_range(code)
        return self.filter(code__gte=low, code__lte=high)


class Region(models.Model):
    """行政区划 with its 12-digit statistical code."""

    LEVELS = [(x, x) for x in ("省", "市", "县", "乡", "村")]

    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("级别", max_length=2, choices=LEVELS)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_column="parent_code",
        related_name="children",
    )
    poverty_flag = models.CharField("贫困标识", max_length=10, blank=True, default="")
    population = models.IntegerField("户籍人口", null=True, blank=True)

    digest = models.CharField(max_length=32, editable=False, default="")

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class InRegionQuerySet(models.QuerySet):  # type: ignore[type-arg]
    region_field = "region_id"

    def within(self, code: str) -> InRegionQuerySet:
        low, high = regions.subtree_range(code)
        return self.filter(**{f"{self.region_field}__gte": low, f"{self.region_field}__lte": high})


class HouseholdQuerySet(InRegionQuerySet):
    region_field = "region_id"


class MemberQuerySet(InRegionQuerySet):
    region_field = "household__region_id"


class Helper(models.Model):
    """帮扶责任人: one person, who may help several households (capped by a setting)."""

    name = models.CharField("姓名", max_length=100)
    unit = models.CharField("帮扶单位", max_length=200, blank=True, default="")
    phone = models.CharField("电话", max_length=40, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "帮扶责任人"
        constraints = [
            models.UniqueConstraint(fields=["name", "phone", "unit"], name="helper_identity"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）" if self.unit else self.name


class Household(models.Model):
    """贫困户, keyed by the data set's 户编号."""

    household_id = models.CharField("户编号", max_length=64, primary_key=True)
    region = models.ForeignKey(
        Region,
        verbose_name="所在村",
        on_delete=models.PROTECT,
        db_column="region_code",
        related_name="households",
    )
    group_name = models.CharField(verbose_name="村民小组", max_length=200, blank=True, default="")
    head_name = models.CharField(verbose_name="户主姓名", max_length=200)
    head_id_number = models.CharField(verbose_name="户主身份证号", max_length=18)
    phone = models.CharField(verbose_name="联系电话", max_length=200, blank=True, default="")
    attribute = models.CharField(verbose_name="贫困户属性", max_length=20, blank=True, default="")
    main_cause = models.CharField(
        verbose_name="主要致贫原因", max_length=20, blank=True, default=""
    )
    other_causes = models.CharField(
        verbose_name="其他致贫原因", max_length=60, blank=True, default=""
    )
    status = models.CharField(verbose_name="贫困状态", max_length=20, blank=True, default="")
    policy_ended = models.BooleanField(verbose_name="不再享受政策", null=True, blank=True)
    identified_year = models.IntegerField(verbose_name="识别年度", null=True, blank=True)
    exit_year = models.IntegerField(verbose_name="脱贫年度", null=True, blank=True)
    wage_income = models.DecimalField(
        verbose_name="工资性收入", max_digits=14, decimal_places=2, default=0
    )
    business_income = models.DecimalField(
        verbose_name="生产经营性收入", max_digits=14, decimal_places=2, default=0
    )
    business_expense = models.DecimalField(
        verbose_name="生产经营性支出", max_digits=14, decimal_places=2, default=0
    )
    property_income = models.DecimalField(
        verbose_name="财产性收入", max_digits=14, decimal_places=2, default=0
    )
    transfer_income = models.DecimalField(
        verbose_name="转移性收入", max_digits=14, decimal_places=2, default=0
    )
    food_secure = models.BooleanField(verbose_name="不愁吃", null=True, blank=True)
    clothing_secure = models.BooleanField(verbose_name="不愁穿", null=True, blank=True)
    water_safe = models.BooleanField(verbose_name="饮水安全", null=True, blank=True)
    water_distance_km = models.DecimalField(
        verbose_name="取水半径", max_digits=10, decimal_places=3, null=True, blank=True
    )
    housing_grade = models.CharField(
        verbose_name="住房安全等级", max_length=20, blank=True, default=""
    )
    housing_renovated = models.BooleanField(verbose_name="危房改造已入住", null=True, blank=True)
    relocated = models.BooleanField(verbose_name="易地扶贫搬迁户", null=True, blank=True)
    relocation_moved_in = models.BooleanField(verbose_name="搬迁已入住", null=True, blank=True)
    relocation_self_funds = models.DecimalField(
        verbose_name="建房自筹资金", max_digits=14, decimal_places=2, default=0
    )
    housing_debt = models.DecimalField(
        verbose_name="建房负债", max_digits=14, decimal_places=2, default=0
    )
    education_burden = models.DecimalField(
        verbose_name="就学负担", max_digits=14, decimal_places=2, default=0
    )
    medical_out_of_pocket = models.DecimalField(
        verbose_name="个人自付医疗费用", max_digits=14, decimal_places=2, default=0
    )
    family_doctor = models.BooleanField(verbose_name="家庭医生签约", null=True, blank=True)
    helper_name = models.CharField(
        verbose_name="帮扶责任人", max_length=200, blank=True, default=""
    )
    helper_unit = models.CharField(verbose_name="帮扶单位", max_length=200, blank=True, default="")
    helper_phone = models.CharField(
        verbose_name="帮扶人电话", max_length=200, blank=True, default=""
    )
    helper = models.ForeignKey(
        Helper,
        verbose_name="帮扶责任人（关联）",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
    )
    digest = models.CharField(max_length=32, editable=False)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "贫困户"
        indexes = [
            models.Index(fields=["region", "status"]),
            models.Index(fields=["head_name"]),
            models.Index(fields=["head_id_number"]),
        ]

    def __str__(self) -> str:
        return f"{self.head_name}户（{self.household_id}）"


class Member(models.Model):
    """家庭成员, keyed by 身份证号 in the standard format."""

    household = models.ForeignKey(
        Household,
        verbose_name="户",
        on_delete=models.CASCADE,
        db_column="household_id",
        related_name="members",
    )
    id_number = models.CharField("身份证号", max_length=18, unique=True)
    name = models.CharField(verbose_name="姓名", max_length=200)
    sex = models.CharField(verbose_name="性别", max_length=20, blank=True, default="")
    birth_date = models.DateField(verbose_name="出生日期", null=True, blank=True)
    relation = models.CharField(verbose_name="与户主关系", max_length=20, blank=True, default="")
    ethnicity = models.CharField(verbose_name="民族", max_length=200, blank=True, default="")
    education_level = models.CharField(
        verbose_name="文化程度", max_length=20, blank=True, default=""
    )
    school_status = models.CharField(
        verbose_name="在校生状况", max_length=20, blank=True, default=""
    )
    health = models.CharField(verbose_name="健康状况", max_length=60, blank=True, default="")
    labor_ability = models.CharField(verbose_name="劳动能力", max_length=20, blank=True, default="")
    work_status = models.CharField(verbose_name="务工状况", max_length=20, blank=True, default="")
    work_months = models.IntegerField(verbose_name="务工时间", null=True, blank=True)
    medical_insured = models.BooleanField(verbose_name="基本医疗保险", null=True, blank=True)
    critical_illness_insured = models.BooleanField(verbose_name="大病保险", null=True, blank=True)
    pension_insured = models.BooleanField(verbose_name="养老保险", null=True, blank=True)
    dibao = models.BooleanField(verbose_name="享受低保", null=True, blank=True)
    tekun = models.BooleanField(verbose_name="特困供养", null=True, blank=True)
    digest = models.CharField(max_length=32, editable=False)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "家庭成员"
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name


class Measure(models.Model):
    """帮扶措施 of a household in a year."""

    household = models.ForeignKey(
        Household,
        verbose_name="户",
        on_delete=models.CASCADE,
        db_column="household_id",
        related_name="measures",
    )
    year = models.IntegerField(verbose_name="年度", null=True, blank=True)
    kind = models.CharField(verbose_name="措施类型", max_length=20, blank=True, default="")
    description = models.CharField(verbose_name="措施内容", max_length=200, blank=True, default="")
    amount = models.DecimalField(verbose_name="金额", max_digits=14, decimal_places=2, default=0)
    digest = models.CharField(max_length=32, editable=False)
    # 户编号#digest#n: the format gives a measure no key of its own, so its content is its key.
    record_key = models.CharField(max_length=120, unique=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "帮扶措施"

    def __str__(self) -> str:
        return f"{self.year} {self.kind}"


class VillageIndicator(models.Model):
    """村级指标 used by the village exit standard."""

    region = models.OneToOneField(
        Region,
        verbose_name="村",
        primary_key=True,
        on_delete=models.CASCADE,
        db_column="region_code",
        related_name="indicators",
    )
    road_hardened = models.BooleanField(verbose_name="通硬化路", null=True, blank=True)
    power_10kv = models.BooleanField(verbose_name="通动力电", null=True, blank=True)
    tv_coverage = models.DecimalField(
        verbose_name="广播电视覆盖率", max_digits=10, decimal_places=3, null=True, blank=True
    )
    broadband = models.BooleanField(verbose_name="宽带覆盖", null=True, blank=True)
    water_secure = models.BooleanField(verbose_name="饮水有保障", null=True, blank=True)
    clinic_standard = models.BooleanField(verbose_name="标准化卫生室", null=True, blank=True)
    village_doctors = models.IntegerField(verbose_name="乡村医生数", null=True, blank=True)
    activity_venue = models.BooleanField(verbose_name="公共活动场所", null=True, blank=True)
    collective_income = models.DecimalField(
        verbose_name="集体经济收入", max_digits=14, decimal_places=2, default=0
    )
    leading_industry = models.BooleanField(verbose_name="主导产业", null=True, blank=True)
    digest = models.CharField(max_length=32, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "村级指标"


class WorkTeam(models.Model):
    """驻村工作队 sent to a village."""

    village = models.ForeignKey(
        Region, verbose_name="村", on_delete=models.CASCADE, related_name="work_teams"
    )
    dispatching_unit = models.CharField("派出单位", max_length=200)
    leader = models.CharField("队长", max_length=100)
    leader_phone = models.CharField("队长电话", max_length=40, blank=True, default="")
    members = models.TextField("队员", blank=True, default="", help_text="每行一人：姓名 单位 电话")
    started = models.DateField("进驻日期")
    ended = models.DateField("撤离日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "驻村工作队"

    def __str__(self) -> str:
        return f"{self.dispatching_unit}驻{self.village.name}工作队"


class FirstSecretary(models.Model):
    """第一书记 of a village."""

    village = models.ForeignKey(
        Region, verbose_name="村", on_delete=models.CASCADE, related_name="first_secretaries"
    )
    name = models.CharField("姓名", max_length=100)
    unit = models.CharField("派出单位", max_length=200, blank=True, default="")
    phone = models.CharField("电话", max_length=40, blank=True, default="")
    started = models.DateField("任职日期")
    ended = models.DateField("离任日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "第一书记"

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    """走访记录: who visited a household, when, and what they found."""

    household = models.ForeignKey(
        Household, verbose_name="户", on_delete=models.CASCADE, related_name="visits"
    )
    visitor = models.CharField("走访人", max_length=100)
    visitor_role = models.CharField(
        "身份",
        max_length=20,
        blank=True,
        default="",
        choices=[
            (x, x)
            for x in (
                "帮扶责任人",
                "驻村工作队",
                "第一书记",
                "村干部",
                "乡镇干部",
                "县级干部",
                "其他",
            )
        ],
    )
    helper = models.ForeignKey(
        Helper, verbose_name="帮扶责任人", null=True, blank=True, on_delete=models.SET_NULL
    )
    visited_on = models.DateField("走访日期")
    findings = models.TextField("走访情况")
    problems = models.TextField("发现问题", blank=True, default="")
    follow_up = models.TextField("后续措施", blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "走访记录"
        ordering = ["-visited_on"]


class RecordVersion(models.Model):
    """One version of a registry row: the canonical standard-format values and who changed them.

    A row's versions tile time: valid_from of one is valid_to of the one before; the current
    version has valid_to NULL. A deletion is a version with deleted set.
    """

    table = models.CharField("表", max_length=20)
    key = models.CharField("主键", max_length=64)
    valid_from = models.DateTimeField("生效时间")
    valid_to = models.DateTimeField("失效时间", null=True, blank=True)
    data = models.TextField("数据")
    changes = models.TextField("变更内容", blank=True, default="")
    deleted = models.BooleanField("已删除", default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="变更人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    source = models.CharField("来源", max_length=200, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "变更历史"
        indexes = [
            models.Index(fields=["table", "key", "valid_from"]),
            models.Index(fields=["table", "valid_from"]),
        ]


class ImportRun(models.Model):
    """One `fupin import` (or upload on the site) and what it did."""

    source = models.CharField("数据来源", max_length=500)
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    counts = models.JSONField("统计", default=dict)
    problems = models.IntegerField("问题数", default=0)
    committed = models.BooleanField("已写入", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "导入记录"
        ordering = ["-started_at"]

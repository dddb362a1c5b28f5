"""The standard interchange format (FORMAT.md): tables, fields, types and enumerations.

This module is the one description of the format. The importer, the exporter, the
generator, snapshots and the engine's data-set loader all read it, so a field added
here is a field added everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

FieldType = Literal[
    "text",  # free text
    "code",  # 12-digit statistical division code (区划代码)
    "id",  # 18-character resident ID (身份证号)
    "enum",  # one of `values`
    "list",  # several of `values`, separated by ';'
    "bool",  # 是/否; empty is unknown
    "money",  # yuan, decimal; empty counts as 0
    "decimal",  # a number; empty is unknown
    "percent",  # 0-100
    "int",  # whole number; empty is unknown
    "year",  # four digits
    "date",  # YYYY-MM-DD
]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: FieldType
    required: bool = False
    values: tuple[str, ...] = ()
    synonyms: dict[str, str] = field(default_factory=dict)
    max_items: int = 0  # for lists: 0 means no limit
    exclusive: tuple[str, ...] = ()  # for lists: values that must stand alone


@dataclass(frozen=True)
class Table:
    name: str  # file name without .csv, and sheet name in a workbook
    label: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]  # the fields that identify a row within a data set

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def header_map(self) -> dict[str, str]:
        """Both the English name and the Chinese label of every field, mapped to the name."""
        out: dict[str, str] = {}
        for f in self.fields:
            out[f.name.lower()] = f.name
            out[f.label] = f.name
        return out


BOOL_TRUE = ("是", "1", "true", "y", "yes", "t")
BOOL_FALSE = ("否", "0", "false", "n", "no", "f")

LEVELS = ("省", "市", "县", "乡", "村")
COUNTY_FLAGS = ("国定贫困县", "省定贫困县", "非贫困县")
VILLAGE_FLAGS = ("贫困村", "深度贫困村", "非贫困村")

ATTRIBUTES = ("一般贫困户", "低保贫困户", "特困供养贫困户")
CAUSES = (
    "因病",
    "因残",
    "因学",
    "因灾",
    "缺土地",
    "缺水",
    "缺技术",
    "缺劳力",
    "缺资金",
    "交通条件落后",
    "自身发展动力不足",
    "因婚",
    "因丧",
    "其他",
)
STATUSES = ("未脱贫", "已脱贫", "返贫", "清退")
HOUSING_GRADES = ("A", "B", "C", "D")
RELATIONS = (
    "户主",
    "配偶",
    "之子",
    "之女",
    "之儿媳",
    "之女婿",
    "之孙子",
    "之孙女",
    "之外孙子",
    "之外孙女",
    "之父",
    "之母",
    "之岳父",
    "之岳母",
    "之公公",
    "之婆婆",
    "之祖父",
    "之祖母",
    "之外祖父",
    "之外祖母",
    "之兄弟姐妹",
    "其他",
)
EDUCATION_LEVELS = ("文盲或半文盲", "小学", "初中", "高中", "大专及以上", "学龄前")
SCHOOL_STATUSES = (
    "非在校生",
    "学前教育",
    "小学",
    "初中",
    "高中",
    "中职",
    "高职",
    "大专",
    "本科及以上",
)
HEALTH = ("健康", "长期慢性病", "患有大病", "残疾")
LABOR_ABILITIES = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力")
WORK_STATUSES = ("未务工", "乡内务工", "县内务工", "县外省内务工", "省外务工")
MEASURE_KINDS = (
    "产业扶持",
    "就业扶持",
    "教育资助",
    "健康扶贫",
    "危房改造",
    "易地搬迁",
    "小额信贷",
    "低保兜底",
    "公益岗位",
    "技能培训",
    "资产收益",
    "其他",
)

REGIONS = Table(
    "regions",
    "行政区划",
    (
        Field("code", "区划代码", "code", required=True),
        Field("name", "名称", "text", required=True),
        Field("level", "级别", "enum", required=True, values=LEVELS),
        Field("parent_code", "上级代码", "code"),
        Field(
            "poverty_flag",
            "贫困标识",
            "enum",
            values=COUNTY_FLAGS + VILLAGE_FLAGS,
            synonyms={"国家级贫困县": "国定贫困县", "省级贫困县": "省定贫困县"},
        ),
        Field("population", "户籍人口", "int"),
    ),
    key=("code",),
)

HOUSEHOLDS = Table(
    "households",
    "贫困户",
    (
        Field("household_id", "户编号", "text", required=True),
        Field("region_code", "区划代码", "code", required=True),
        Field("group_name", "村民小组", "text"),
        Field("head_name", "户主姓名", "text", required=True),
        Field("head_id_number", "户主身份证号", "id", required=True),
        Field("phone", "联系电话", "text"),
        Field(
            "attribute",
            "贫困户属性",
            "enum",
            required=True,
            values=ATTRIBUTES,
            synonyms={
                "五保贫困户": "特困供养贫困户",
                "五保户": "特困供养贫困户",
                "低保户": "低保贫困户",
            },
        ),
        Field("main_cause", "主要致贫原因", "enum", required=True, values=CAUSES),
        Field("other_causes", "其他致贫原因", "list", values=CAUSES, max_items=2),
        Field(
            "status",
            "贫困状态",
            "enum",
            required=True,
            values=STATUSES,
            synonyms={"已脱贫(享受政策)": "已脱贫", "已脱贫（享受政策）": "已脱贫"},
        ),
        Field("policy_ended", "不再享受政策", "bool"),
        Field("identified_year", "识别年度", "year"),
        Field("exit_year", "脱贫年度", "year"),
        Field("wage_income", "工资性收入", "money"),
        Field("business_income", "生产经营性收入", "money"),
        Field("business_expense", "生产经营性支出", "money"),
        Field("property_income", "财产性收入", "money"),
        Field("transfer_income", "转移性收入", "money"),
        Field("food_secure", "不愁吃", "bool"),
        Field("clothing_secure", "不愁穿", "bool"),
        Field("water_safe", "饮水安全", "bool"),
        Field("water_distance_km", "取水半径", "decimal"),
        Field("housing_grade", "住房安全等级", "enum", values=HOUSING_GRADES),
        Field("housing_renovated", "危房改造已入住", "bool"),
        Field("relocated", "易地扶贫搬迁户", "bool"),
        Field("relocation_moved_in", "搬迁已入住", "bool"),
        Field("relocation_self_funds", "建房自筹资金", "money"),
        Field("housing_debt", "建房负债", "money"),
        Field("education_burden", "就学负担", "money"),
        Field("medical_out_of_pocket", "个人自付医疗费用", "money"),
        Field("family_doctor", "家庭医生签约", "bool"),
        Field("helper_name", "帮扶责任人", "text"),
        Field("helper_unit", "帮扶单位", "text"),
        Field("helper_phone", "帮扶人电话", "text"),
    ),
    key=("household_id",),
)

# The national system's 已脱贫(不再享受政策) is 已脱贫 with policy_ended set.
STATUS_POLICY_ENDED_SYNONYMS = ("已脱贫(不再享受政策)", "已脱贫（不再享受政策）")

MEMBERS = Table(
    "members",
    "家庭成员",
    (
        Field("household_id", "户编号", "text", required=True),
        Field("id_number", "身份证号", "id", required=True),
        Field("name", "姓名", "text", required=True),
        Field("sex", "性别", "enum", required=True, values=("男", "女")),
        Field("birth_date", "出生日期", "date", required=True),
        Field(
            "relation",
            "与户主关系",
            "enum",
            required=True,
            values=RELATIONS,
            synonyms={"本人或户主": "户主", "本人": "户主"},
        ),
        Field("ethnicity", "民族", "text"),
        Field("education_level", "文化程度", "enum", values=EDUCATION_LEVELS),
        Field("school_status", "在校生状况", "enum", values=SCHOOL_STATUSES),
        Field("health", "健康状况", "list", values=HEALTH, exclusive=("健康",)),
        Field("labor_ability", "劳动能力", "enum", values=LABOR_ABILITIES),
        Field("work_status", "务工状况", "enum", values=WORK_STATUSES),
        Field("work_months", "务工时间", "int"),
        Field("medical_insured", "基本医疗保险", "bool"),
        Field("critical_illness_insured", "大病保险", "bool"),
        Field("pension_insured", "养老保险", "bool"),
        Field("dibao", "享受低保", "bool"),
        Field("tekun", "特困供养", "bool"),
    ),
    key=("id_number",),
)

MEASURES = Table(
    "measures",
    "帮扶措施",
    (
        Field("household_id", "户编号", "text", required=True),
        Field("year", "年度", "year", required=True),
        Field("kind", "措施类型", "enum", required=True, values=MEASURE_KINDS),
        Field("description", "措施内容", "text"),
        Field("amount", "金额", "money"),
    ),
    # A measure has no natural key in the format: the same household may get two measures of
    # one kind in a year. Rows are keyed by their full content.
    key=("household_id", "year", "kind", "description", "amount"),
)

VILLAGES = Table(
    "villages",
    "村级指标",
    (
        Field("region_code", "区划代码", "code", required=True),
        Field("road_hardened", "通硬化路", "bool"),
        Field("power_10kv", "通动力电", "bool"),
        Field("tv_coverage", "广播电视覆盖率", "percent"),
        Field("broadband", "宽带覆盖", "bool"),
        Field("water_secure", "饮水有保障", "bool"),
        Field("clinic_standard", "标准化卫生室", "bool"),
        Field("village_doctors", "乡村医生数", "int"),
        Field("activity_venue", "公共活动场所", "bool"),
        Field("collective_income", "集体经济收入", "money"),
        Field("leading_industry", "主导产业", "bool"),
    ),
    key=("region_code",),
)

REGISTRY_TABLES: tuple[Table, ...] = (REGIONS, HOUSEHOLDS, MEMBERS, MEASURES, VILLAGES)


def _roster(name: str, label: str, *fields: Field) -> Table:
    base = (
        Field("id_number", "身份证号", "id"),
        Field("name", "姓名", "text"),
        Field("sex", "性别", "enum", values=("男", "女")),
        Field("birth_date", "出生日期", "date"),
        Field("address", "地址", "text"),
    )
    return Table(name, label, base + fields, key=())


ROSTER_STUDENTS = _roster(
    "roster_students",
    "教育学籍",
    Field("school", "学校", "text"),
    Field("grade", "年级", "text"),
    Field("enrolment", "在读状态", "enum", values=("在读", "休学", "辍学", "送教上门")),
)
ROSTER_MEDICAL = _roster(
    "roster_medical",
    "医保参保",
    Field("year", "年度", "year"),
    Field("basic", "基本医保", "bool"),
    Field("critical_illness", "大病保险", "bool"),
)
ROSTER_PENSION = _roster(
    "roster_pension",
    "养老保险",
    Field("year", "年度", "year"),
    Field("status", "参保状态", "enum", values=("参保", "领取待遇")),
)
ROSTER_CIVIL = _roster(
    "roster_civil",
    "民政低保特困",
    Field("kind", "类别", "enum", values=("低保", "特困"), synonyms={"五保": "特困"}),
    Field("household_head_id", "户主身份证号", "id"),
    Field("since", "起始日期", "date"),
)
ROSTER_DISABLED = _roster(
    "roster_disabled",
    "残疾人",
    Field("category", "残疾类别", "text"),
    Field("grade", "残疾等级", "enum", values=("一级", "二级", "三级", "四级")),
)
ROSTER_HOUSING = _roster(
    "roster_housing",
    "危房鉴定",
    Field("grade", "鉴定等级", "enum", values=HOUSING_GRADES),
    Field("renovated", "已改造", "bool"),
)
ROSTER_VEHICLES = _roster(
    "roster_vehicles",
    "车辆登记",
    Field("plate", "号牌", "text"),
    Field("vehicle_type", "车辆类型", "text"),
    Field("registered", "登记日期", "date"),
)
ROSTER_BUSINESS = _roster(
    "roster_business",
    "工商登记",
    Field("enterprise", "企业名称", "text"),
    Field("role", "职务", "text"),
    Field("registered_capital", "注册资本", "money"),
)
ROSTER_PUBLIC_EMPLOYEES = _roster(
    "roster_public_employees",
    "财政供养人员",
    Field("employer", "工作单位", "text"),
)

ROSTER_TABLES: tuple[Table, ...] = (
    ROSTER_STUDENTS,
    ROSTER_MEDICAL,
    ROSTER_PENSION,
    ROSTER_CIVIL,
    ROSTER_DISABLED,
    ROSTER_HOUSING,
    ROSTER_VEHICLES,
    ROSTER_BUSINESS,
    ROSTER_PUBLIC_EMPLOYEES,
)

SURVEY = Table(
    "survey",
    "评估调查结果",
    (
        Field("household_id", "户编号", "text"),
        Field("region_code", "区划代码", "code", required=True),
        Field("registered", "建档立卡户", "bool", required=True),
        Field("status_claimed", "系统状态", "enum", values=("未脱贫", "已脱贫", "非贫困户")),
        Field("people", "家庭人口", "int", required=True),
        Field("meets_exit_standard", "达到脱贫标准", "bool"),
        Field("should_be_registered", "应纳未纳", "bool"),
        Field("missed_people", "漏评人口", "int"),
        Field("should_not_be_registered", "不应纳入", "bool"),
        Field("satisfied", "认可", "bool"),
        Field("weight", "权重", "decimal"),
        Field("stratum", "层", "text"),
        Field("cluster", "群", "text"),
    ),
    key=(),
)

ALL_TABLES: dict[str, Table] = {t.name: t for t in REGISTRY_TABLES + ROSTER_TABLES + (SURVEY,)}

"""The scopes of the exit standard: what a member, household, village or county expression may
mention. Fields come from `standard_format`; derived values are described here once."""

from __future__ import annotations

from fupin.engine.policy.expressions import Aggregate, Scope
from fupin.engine.standard_format import HOUSEHOLDS, MEMBERS, REGIONS, VILLAGES, Field

LEVELS = ("household", "village", "county")
LEVEL_NAMES = {"member": "成员", "household": "户", "village": "村", "county": "县"}

MEMBER_DERIVED = (Field("age", "年龄（截至评估日）", "int"),)

HOUSEHOLD_DERIVED = (
    Field("member_count", "家庭人口", "int"),
    Field("net_income", "家庭纯收入", "money"),
    Field("per_capita_net_income", "人均纯收入", "decimal"),
    Field("measure_count", "帮扶措施数", "int"),
)

VILLAGE_DERIVED = (
    Field("name", "名称", "text"),
    Field(
        "poverty_flag",
        REGIONS.field("poverty_flag").label,
        "enum",
        values=REGIONS.field("poverty_flag").values,
    ),  # fmt: skip
    Field("population", "户籍人口", "int"),
    Field("poor_population", "未脱贫人口", "int"),
    Field("incidence", "贫困发生率（%）", "percent"),
    Field("household_count", "建档立卡户数", "int"),
)

COUNTY_FIELDS = (
    Field("population", "户籍人口", "int"),
    Field("poor_population", "未脱贫人口", "int"),
    Field("incidence", "贫困发生率（%）", "percent"),
    Field("poor_villages", "贫困村数", "int"),
    Field("poor_villages_not_exited", "未出列贫困村数", "int"),
)
# Facts about a county that the registry does not hold: statistics and assessment results,
# supplied with the evaluation (county_facts); when absent they are unknown.
COUNTY_FACTS = (
    Field("rural_income_growth", "农村居民人均可支配收入增幅（%）", "percent"),
    Field("province_rural_income_growth", "全省农村居民人均可支配收入增幅（%）", "percent"),
    Field("wrong_exit_rate", "错退率（%）", "percent"),
    Field("missed_rate", "漏评率（%）", "percent"),
    Field("wrong_identification_rate", "错评率（%）", "percent"),
    Field("recognition_rate", "群众认可度（%）", "percent"),
)


def _fields(*groups: tuple[Field, ...]) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for group in groups:
        for f in group:
            out[f.name] = f
    return out


MEMBER_FIELDS = _fields(MEMBERS.fields, MEMBER_DERIVED)
HOUSEHOLD_FIELDS = _fields(HOUSEHOLDS.fields, HOUSEHOLD_DERIVED)
VILLAGE_FIELDS = _fields(VILLAGES.fields, VILLAGE_DERIVED)


def member_scope() -> Scope:
    return Scope(LEVEL_NAMES["member"], MEMBER_FIELDS)


def household_scope() -> Scope:
    child = member_scope()
    return Scope(
        LEVEL_NAMES["household"],
        HOUSEHOLD_FIELDS,
        aggregates={
            "all_members": Aggregate("all_members", "all", child),
            "any_member": Aggregate("any_member", "any", child),
            "count_members": Aggregate("count_members", "count", child),
        },
    )


def village_scope() -> Scope:
    child = household_scope()
    return Scope(
        LEVEL_NAMES["village"],
        VILLAGE_FIELDS,
        aggregates={
            "all_households": Aggregate("all_households", "all", child),
            "any_household": Aggregate("any_household", "any", child),
            "count_households": Aggregate("count_households", "count", child),
        },
    )


def county_scope() -> Scope:
    return Scope(LEVEL_NAMES["county"], _fields(COUNTY_FIELDS, COUNTY_FACTS))


def scope_for(level: str) -> Scope:
    return {"household": household_scope, "village": village_scope, "county": county_scope}[level]()

"""Discrepancy rules and registry logic checks as policy files (`policies/compare-*.yaml`).

A rule file has the parameters of a policy file and a list of `rules`, each with an id, a
Chinese name, a severity (高/中/低), a kind (`finding` for a discrepancy with a department
roster, `check` for the registry against itself), a scope, the rosters it needs, one boolean
expression, a Chinese `detail` template whose `{...}` placeholders are expressions, and the
clause of the seed document it comes from.

Expressions are the policy language of `fupin.engine.policy`: parsed and checked by
`check_expression` against the fields of the rule's scope (below), compiled by
`compile_expression`. Scopes:

- `member`: one registry member: the member fields, `age`, `id_valid`, the household's fields
  as `household_<field>`, and what the rosters say about the member (`student_listed`,
  `student_enrolment`, `medical_listed`, ...).
- `household`: one registry household: the household fields, derived values and what the rosters
  say about it (`civil_listed`, `housing_roster_grade`, ...), with `all_members(...)`,
  `any_member(...)`, `count_members(...)` over the member scope.
- `roster`: one roster row: its fields, `id_valid`, the match (`matched`, `match_method`,
  `match_probability`), and the matched member's household as `household_<field>`. A rule over
  several rosters sees only the fields every roster has.

A rule whose rosters were not supplied is skipped (and said so), never run on missing data.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from sqlglot import exp

from fupin.engine.policy.expressions import (
    Aggregate,
    ParamValue,
    PolicyError,
    Scope,
    check_expression,
)
from fupin.engine.policy.loading import POLICIES_DIR, Parameter, Source
from fupin.engine.policy.schema import POLICY_SCHEMA
from fupin.engine.standard_format import (
    HOUSEHOLDS,
    MEMBERS,
    ROSTER_CIVIL,
    ROSTER_DISABLED,
    ROSTER_HOUSING,
    ROSTER_PENSION,
    ROSTER_STUDENTS,
    ROSTER_TABLES,
    Field,
)
from fupin.engine.yaml_files import load_yaml

__all__ = [
    "FINDING_IDS",
    "SCOPES",
    "Rule",
    "RuleSet",
    "household_scope",
    "load_rules",
    "member_scope",
    "roster_scope",
]

SEVERITIES = ("高", "中", "低")
SCOPES = ("member", "household", "roster")
ROSTER_NAMES = tuple(t.name for t in ROSTER_TABLES)
# The finding ids the issue names; a rule file must have each of them.
FINDING_IDS = (
    "dropout",
    "uninsured_medical",
    "pension_gap",
    "dibao_not_registered",
    "dibao_flag_mismatch",
    "danger_house",
    "disabled_mismatch",
    "wrongly_listed",
    "id_invalid",
)

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")

_RULE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "severity", "kind", "scope", "expression", "detail", "source"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "name": {"type": "string", "minLength": 1},
        "severity": {"enum": list(SEVERITIES)},
        "kind": {"enum": ["finding", "check"]},
        "scope": {"enum": list(SCOPES)},
        "rosters": {
            "type": "array",
            "items": {"enum": [*ROSTER_NAMES, "*"]},
            "uniqueItems": True,
        },
        "expression": {"type": "string", "minLength": 1},
        "detail": {"type": "string", "minLength": 1},
        "source": {
            "type": "object",
            "required": ["seed", "item"],
            "additionalProperties": False,
            "properties": {
                "seed": {"type": "string", "minLength": 1},
                "item": {"type": "string", "minLength": 1},
                "note": {"type": "string"},
            },
        },
    },
}

RULES_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "name", "rules"],
    "additionalProperties": False,
    "properties": {
        **{
            k: POLICY_SCHEMA["properties"][k]
            for k in ("id", "name", "jurisdiction", "year", "documents", "notes", "parameters")
        },
        "rules": {"type": "array", "items": _RULE, "minItems": 1},
    },
}


# --- scopes -----------------------------------------------------------------------------------


def _renamed(
    fields: tuple[Field, ...], prefix: str, skip: tuple[str, ...] = ()
) -> tuple[Field, ...]:
    return tuple(
        dataclasses.replace(f, name=prefix + f.name, label=f"户：{f.label}")
        for f in fields
        if f.name not in skip
    )


def _enum(name: str, label: str, values: tuple[str, ...]) -> Field:
    return Field(name, label, "enum", values=values)


HOUSEHOLD_OF_MEMBER = _renamed(HOUSEHOLDS.fields, "household_", skip=("household_id",))

MEMBER_DERIVED = (
    Field("age", "年龄（截至比对日）", "int"),
    Field("id_valid", "身份证号有效", "bool"),
    Field("id_problem", "身份证号问题", "text"),
    Field("as_of_year", "比对年度", "year"),
    Field("student_listed", "学籍名单中有", "bool"),
    _enum("student_enrolment", "学籍在读状态", ROSTER_STUDENTS.field("enrolment").values),
    Field("medical_listed", "医保名单中有（当年）", "bool"),
    Field("medical_basic", "医保名单：基本医保", "bool"),
    Field("pension_listed", "养老保险名单中有（当年）", "bool"),
    _enum("pension_status", "养老保险状态", ROSTER_PENSION.field("status").values),
    Field("civil_listed", "民政低保特困名单中有", "bool"),
    _enum("civil_kind", "民政名单类别", ROSTER_CIVIL.field("kind").values),
    Field("disabled_listed", "残联名单中有", "bool"),
    _enum("disabled_grade", "残疾等级", ROSTER_DISABLED.field("grade").values),
    _enum("housing_roster_grade", "住建鉴定等级（最差）", ROSTER_HOUSING.field("grade").values),
    Field("vehicle_count", "登记车辆数", "int"),
    Field("business_count", "工商登记数", "int"),
    Field("business_capital_total", "工商登记注册资本合计", "money"),
    Field("public_employee", "财政供养人员名单中有", "bool"),
)

HOUSEHOLD_DERIVED = (
    Field("member_count", "家庭人口", "int"),
    Field("net_income", "家庭纯收入", "money"),
    Field("per_capita_net_income", "人均纯收入", "decimal"),
    Field("as_of_year", "比对年度", "year"),
    Field("helper_household_count", "帮扶责任人联系户数", "int"),
    Field("civil_listed", "民政低保特困名单中有本户", "bool"),
    _enum("civil_kind", "民政名单类别", ROSTER_CIVIL.field("kind").values),
    _enum("housing_roster_grade", "住建鉴定等级（最差）", ROSTER_HOUSING.field("grade").values),
)

ROSTER_MATCH_FIELDS = (
    Field("row_number", "行号", "int"),
    Field("id_valid", "身份证号有效", "bool"),
    Field("id_problem", "身份证号问题", "text"),
    Field("matched", "匹配到登记成员", "bool"),
    _enum("match_method", "匹配方式", ("exact", "probabilistic")),
    Field("match_probability", "匹配概率", "decimal"),
    Field("member_name", "登记成员姓名", "text"),
    Field("member_id_number", "登记成员身份证号", "id"),
    Field("member_age", "登记成员年龄", "int"),
    _enum("member_relation", "登记成员与户主关系", MEMBERS.field("relation").values),
    Field("member_health", "登记成员健康状况", "list", values=MEMBERS.field("health").values),
    Field("head_in_registry", "户主在建档立卡名单中", "bool"),
    Field("is_head", "本行为户主", "bool"),
)
# fields only the civil roster has a value for; NULL elsewhere
_CIVIL_ONLY = ("head_in_registry", "is_head")


def _fields(*groups: tuple[Field, ...]) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for group in groups:
        for f in group:
            out[f.name] = f
    return out


MEMBER_FIELDS = _fields(MEMBERS.fields, MEMBER_DERIVED, HOUSEHOLD_OF_MEMBER)
HOUSEHOLD_FIELDS = _fields(HOUSEHOLDS.fields, HOUSEHOLD_DERIVED)


def member_scope() -> Scope:
    return Scope("成员", MEMBER_FIELDS)


def household_scope() -> Scope:
    child = member_scope()
    return Scope(
        "户",
        HOUSEHOLD_FIELDS,
        aggregates={
            "all_members": Aggregate("all_members", "all", child),
            "any_member": Aggregate("any_member", "any", child),
            "count_members": Aggregate("count_members", "count", child),
        },
    )


def roster_scope(rosters: tuple[str, ...]) -> Scope:
    """The fields of a roster row; with several rosters, only the fields all of them have."""
    tables = [t for t in ROSTER_TABLES if t.name in rosters]
    own: dict[str, Field] = {}
    if len(tables) == 1:
        own = {f.name: f for f in tables[0].fields}
    else:
        common = set.intersection(*({f.name for f in t.fields} for t in tables))
        own = {f.name: f for f in tables[0].fields if f.name in common}
    return Scope("部门数据行", {**own, **_fields(ROSTER_MATCH_FIELDS, HOUSEHOLD_OF_MEMBER)})


def scope_of(scope: str, rosters: tuple[str, ...]) -> Scope:
    if scope == "member":
        return member_scope()
    if scope == "household":
        return household_scope()
    return roster_scope(rosters)


# --- loading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str
    kind: str  # finding | check
    scope: str
    rosters: tuple[str, ...]  # needed (member/household) or iterated (roster)
    expression: str
    tree: exp.Expr
    detail: str
    detail_parts: tuple[str | exp.Expr, ...]
    source: Source

    @property
    def roster(self) -> str:
        """The roster a finding of this rule is reported against ('' for a registry check)."""
        return self.rosters[0] if len(self.rosters) == 1 else ""


@dataclass(frozen=True)
class RuleSet:
    id: str
    name: str
    file: Path
    jurisdiction: str
    year: int | None
    documents: dict[str, str]
    parameters: dict[str, Parameter]
    rules: tuple[Rule, ...]

    def values(self) -> dict[str, ParamValue]:
        return {name: p.value for name, p in self.parameters.items()}

    def rule_ids(self) -> list[str]:
        return list(dict.fromkeys(r.id for r in self.rules))


def rules_path(ref: str | Path) -> Path:
    candidate = Path(ref)
    if candidate.suffix in (".yaml", ".yml"):
        if candidate.is_file():
            return candidate
        raise PolicyError(f"比对规则文件不存在：{candidate}")
    path = POLICIES_DIR / f"{ref}.yaml"
    if path.is_file():
        return path
    known = "、".join(sorted(p.stem for p in POLICIES_DIR.glob("compare-*.yaml"))) or "无"
    raise PolicyError(f"找不到比对规则“{ref}”（可用的比对规则：{known}）")


def load_rules(ref: str | Path) -> RuleSet:
    """The checked rule file; raises PolicyError naming the file, rule and problem."""
    path = rules_path(ref)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"比对规则文件 {path.name}：无法读取（{exc}）") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"比对规则文件 {path.name}：YAML 格式错误（{exc}）") from None
    if not isinstance(data, dict):
        raise PolicyError(f"比对规则文件 {path.name}：内容应为一个映射（键: 值）")
    errors = sorted(
        jsonschema.Draft202012Validator(RULES_SCHEMA).iter_errors(data),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "根"
        raise PolicyError(
            f"比对规则文件 {path.name}：“{where}”处不符合比对规则格式（{first.message}）"
        )
    if data["id"] != path.stem:
        raise PolicyError(f"比对规则文件 {path.name}：id “{data['id']}”应与文件名一致")
    parameters: dict[str, Parameter] = {}
    field_names = set(MEMBER_FIELDS) | set(HOUSEHOLD_FIELDS)
    for name, raw in (data.get("parameters") or {}).items():
        if name in field_names:
            raise PolicyError(f"比对规则文件 {path.name}：参数“{name}”与字段同名，请换一个名字")
        if isinstance(raw, dict):
            source = raw.get("source")
            parameters[name] = Parameter(
                name,
                raw["value"],
                raw.get("name", ""),
                raw.get("unit", ""),
                Source(str(source["seed"]), str(source["item"]), str(source.get("note", "")))
                if source
                else None,
            )
        else:
            parameters[name] = Parameter(name, raw)
    values = {name: p.value for name, p in parameters.items()}
    rules = []
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    for raw in data["rules"]:
        rule = _rule(raw, path.name, values)
        key = (rule.id, rule.scope, rule.rosters)
        if key in seen:
            raise PolicyError(
                f"比对规则文件 {path.name}：规则 {rule.id} 在同一范围和部门数据上重复定义"
            )
        seen.add(key)
        rules.append(rule)
    ids = {r.id for r in rules}
    return RuleSet(
        id=data["id"],
        name=data["name"],
        file=path,
        jurisdiction=data.get("jurisdiction", ""),
        year=data.get("year"),
        documents=dict(data.get("documents") or {}),
        parameters=parameters,
        rules=tuple(rules) if ids else (),
    )


def _rule(raw: dict[str, Any], file: str, values: dict[str, ParamValue]) -> Rule:
    rosters = tuple(raw.get("rosters", ()))
    if rosters == ("*",):
        rosters = ROSTER_NAMES
    elif "*" in rosters:
        raise PolicyError(f"比对规则文件 {file}，规则 {raw['id']}：rosters 中的 * 只能单独使用")
    where = f"比对规则文件 {file}，规则 {raw['id']}"
    if raw["scope"] == "roster" and not rosters:
        raise PolicyError(f"{where}：scope 为 roster 的规则须在 rosters 中列出部门数据")
    scope = scope_of(raw["scope"], rosters).with_parameters(values)
    tree = check_expression(raw["expression"], scope, f"{where} 的 expression")
    parts: list[str | exp.Expr] = []
    position = 0
    detail = raw["detail"]
    for match in _PLACEHOLDER.finditer(detail):
        if match.start() > position:
            parts.append(detail[position : match.start()])
        parts.append(check_expression(match.group(1), scope, f"{where} 的 detail"))
        position = match.end()
    if position < len(detail):
        parts.append(detail[position:])
    source = raw["source"]
    return Rule(
        id=raw["id"],
        name=raw["name"],
        severity=raw["severity"],
        kind=raw["kind"],
        scope=raw["scope"],
        rosters=rosters,
        expression=raw["expression"],
        tree=tree,
        detail=detail,
        detail_parts=tuple(parts),
        source=Source(str(source["seed"]), str(source["item"]), str(source.get("note", ""))),
    )

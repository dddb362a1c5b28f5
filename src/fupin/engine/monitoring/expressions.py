"""Rule expressions of the monitoring policy: checked by the policy files' checker, compiled to
DuckDB SQL.

The language is the one of the exit-standard policy files (`engine.policy.expressions`, whose
`check_expression` refuses unknown names, functions and syntax): a boolean over household
fields, derived household values, policy parameters, `has(list_field, 'value')` and the member
aggregates `any_member(...)`, `all_members(...)`, `count_members(...)`. Only the fields differ
(monitoring derives more household values), so only the scope is built here.

Compiled SQL reads the view `monitoring_households` (alias h, see `frame`) and the table
`members` (alias m); parameters become literals in the syntax tree, never by string edits.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp

from fupin.engine.policy.compiler import literal
from fupin.engine.policy.expressions import (
    LIST_FUNCTION,
    Aggregate,
    AggregateKind,
    ParamValue,
    Scope,
    check_expression,
)
from fupin.engine.standard_format import HOUSEHOLDS, MEMBERS, Field

HOUSEHOLD_DERIVED = (
    Field("member_count", "家庭人口", "int"),
    Field("net_income", "家庭纯收入", "money"),
    Field("per_capita_net_income", "人均纯收入", "decimal"),
    Field("measure_count", "帮扶措施数", "int"),
    Field("active_measure_count", "仍在实施的帮扶措施数", "int"),
    Field("earner_count", "有劳动收入的人数", "int"),
    Field("transfer_share", "转移性收入占比", "decimal"),
    Field("wage_business_share", "工资性和生产经营性收入占比", "decimal"),
)
MEMBER_DERIVED = (Field("age", "年龄（截至评估日）", "int"),)

HOUSEHOLD_FIELDS: dict[str, Field] = {f.name: f for f in (*HOUSEHOLDS.fields, *HOUSEHOLD_DERIVED)}
MEMBER_FIELDS: dict[str, Field] = {f.name: f for f in (*MEMBERS.fields, *MEMBER_DERIVED)}

AGGREGATES: dict[str, AggregateKind] = {
    "any_member": "any",
    "all_members": "all",
    "count_members": "count",
}


def household_scope(parameters: Mapping[str, ParamValue]) -> Scope:
    """What a monitoring rule may mention: household fields and derived values, parameters,
    and aggregates over the household's members (fields and age)."""
    members = Scope("成员", MEMBER_FIELDS, dict(parameters))
    aggregates = {name: Aggregate(name, kind, members) for name, kind in AGGREGATES.items()}
    return Scope("户", HOUSEHOLD_FIELDS, dict(parameters), aggregates)


def check(text: str, parameters: Mapping[str, ParamValue], where: str) -> exp.Expr:
    """The syntax tree of `text` once every name and function in it is known; raises
    PolicyError (file, rule and what is wrong, in Chinese)."""
    return check_expression(text, household_scope(parameters), where)


def compile_sql(tree: exp.Expr, parameters: Mapping[str, ParamValue]) -> str:
    """DuckDB SQL of a checked expression over `monitoring_households h` and `members m`."""
    return _compile(tree.copy(), parameters, "h").sql(dialect="duckdb")


def _compile(node: exp.Expr, parameters: Mapping[str, ParamValue], alias: str) -> exp.Expr:
    def rewrite(n: exp.Expr) -> exp.Expr:
        if isinstance(n, exp.Column) and not n.table:
            if n.name in parameters and n.name not in (
                HOUSEHOLD_FIELDS if alias == "h" else MEMBER_FIELDS
            ):
                return literal(parameters[n.name])
            return exp.column(n.name, table=alias, quoted=True)
        if isinstance(n, exp.Anonymous):
            name = str(n.this).lower()
            args = list(n.expressions)
            if name == LIST_FUNCTION:
                col = _compile(args[0], parameters, alias)
                split = exp.func(
                    "string_split", exp.func("coalesce", col, exp.Literal.string("")), "';'"
                )
                return exp.func("list_contains", split, args[1].copy())
            if name in AGGREGATES:
                inner = _compile(args[0], parameters, "m")
                return _aggregate(name, inner)
        return n

    return node.transform(rewrite, copy=False)


def _aggregate(name: str, inner: exp.Expr) -> exp.Expr:
    condition = f"m.household_id = h.household_id AND ({inner.sql(dialect='duckdb')})"
    if name == "any_member":
        sql = f"EXISTS (SELECT 1 FROM member_frame AS m WHERE {condition})"
    elif name == "count_members":
        sql = f"(SELECT count(*) FROM member_frame AS m WHERE {condition})"
    else:
        negated = f"NOT coalesce(({inner.sql(dialect='duckdb')}), false)"
        sql = (
            "NOT EXISTS (SELECT 1 FROM member_frame AS m WHERE "
            f"m.household_id = h.household_id AND {negated})"
        )
    return sqlglot.parse_one(sql, read="duckdb")


def referenced_fields(tree: exp.Expr) -> list[str]:
    """Household-level fields a rule mentions, in order, for the explanation of a hit."""
    out: list[str] = []
    for col in tree.find_all(exp.Column):
        inside_aggregate = any(
            isinstance(a, exp.Anonymous) and str(a.this).lower() in AGGREGATES
            for a in _ancestors(col)
        )
        if not inside_aggregate and col.name in HOUSEHOLD_FIELDS and col.name not in out:
            out.append(col.name)
    return out


def _ancestors(node: exp.Expr) -> list[exp.Expr]:
    out = []
    parent = node.parent
    while parent is not None:
        out.append(parent)
        parent = parent.parent
    return out

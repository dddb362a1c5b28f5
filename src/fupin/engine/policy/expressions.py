"""The expression language of policy files: parsed with sqlglot, checked before anything runs.

An expression is one boolean (or, in a gap template, one value) over the fields of a scope: the
household fields, derived values such as `per_capita_net_income`, parameters of the policy, and
aggregates over a child scope (`all_members(<expr>)`, `any_member(<expr>)`,
`count_members(<expr>)` over the members of a household; `all_households(...)` and friends over
the households of a village). Only a small set of syntax nodes and functions is accepted, so a
policy file can never smuggle SQL into a query: `x > 1; DROP TABLE households` is refused here.

The checker is independent of the exit standard: another rule set (department data comparison,
for example) builds its own `Scope` with its own fields and aggregates and calls
`check_expression`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import sqlglot

# sqlglot loads a dialect on its first use: expressions are read as DuckDB SQL, and loading the
# dialect here, with the engine, keeps about 50 ms out of the first evaluation of a process.
import sqlglot.dialects.duckdb  # noqa: F401
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from fupin.engine.standard_format import Field

ParamValue = bool | int | float | str

AggregateKind = Literal["all", "any", "count"]


class PolicyError(ValueError):
    """A policy file (or one expression in it) is not acceptable; str() says why, in Chinese."""


@dataclass(frozen=True)
class Aggregate:
    """A function over the rows of a child scope, e.g. all_members(<expr>)."""

    name: str
    kind: AggregateKind
    child: Scope


@dataclass(frozen=True)
class Scope:
    """What an expression may mention at one level (member, household, village, county)."""

    name: str  # Chinese, for messages: 成员, 户, 村, 县
    fields: Mapping[str, Field]
    parameters: Mapping[str, ParamValue] = field(default_factory=dict)
    aggregates: Mapping[str, Aggregate] = field(default_factory=dict)

    def with_parameters(self, parameters: Mapping[str, ParamValue]) -> Scope:
        aggregates = {
            name: Aggregate(a.name, a.kind, a.child.with_parameters(parameters))
            for name, a in self.aggregates.items()
        }
        return Scope(self.name, self.fields, dict(parameters), aggregates)


# Plain functions an expression may call besides the aggregates of its scope.
FUNCTIONS: dict[type[exp.Expr], str] = {
    exp.Coalesce: "coalesce",
    exp.Abs: "abs",
    exp.Round: "round",
    exp.Greatest: "greatest",
    exp.Least: "least",
}
LIST_FUNCTION = "has"  # has(<list field>, '<value>'): the list contains the value

_ALLOWED_NODES: tuple[type[exp.Expr], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Neg,
    exp.Case,
    exp.If,
    exp.DPipe,
    exp.Tuple,
)

_NUMERIC = ("money", "decimal", "percent", "int", "year")


def parse(text: str, where: str) -> exp.Expr:
    """One expression parsed from `text`; anything else (two statements, a query) is refused."""
    if not isinstance(text, str) or not text.strip():
        raise PolicyError(f"{where}：表达式为空")
    try:
        statements = sqlglot.parse(text, read="duckdb")
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PolicyError(f"{where}：表达式“{text}”无法解析（{first}）") from None
    found = [s for s in statements if s is not None]
    if len(found) != 1:
        raise PolicyError(
            f"{where}：表达式“{text}”包含多条语句（分号），只允许一个条件表达式，已拒绝"
        )
    return found[0]


def check_expression(text: str, scope: Scope, where: str) -> exp.Expr:
    """The syntax tree of `text` once every name and function in it is known to `scope`."""
    tree = parse(text, where)
    _check(tree, scope, where, text)
    return tree


def _refuse(where: str, text: str, what: str) -> PolicyError:
    return PolicyError(f"{where}：表达式“{text}”{what}")


def _check(node: exp.Expr, scope: Scope, where: str, text: str) -> None:
    if isinstance(node, exp.Anonymous):
        _check_call(node, scope, where, text)
        return
    if isinstance(node, exp.Column):
        _check_column(node, scope, where, text)
        return
    if type(node) in FUNCTIONS or type(node) in _ALLOWED_NODES:
        pass
    elif isinstance(node, exp.Func):
        raise _refuse(where, text, f"使用了不允许的函数 {node.sql_name()}（{node.sql()}）")
    else:
        raise _refuse(where, text, f"包含不允许的语法“{node.sql()}”（{type(node).__name__}）")
    if isinstance(node, exp.EQ | exp.NEQ | exp.In):
        _check_enum_literals(node, scope, where, text)
    for child in node.iter_expressions():
        _check(child, scope, where, text)


def _check_column(node: exp.Column, scope: Scope, where: str, text: str) -> None:
    if node.table or not isinstance(node.this, exp.Identifier):
        raise _refuse(where, text, f"不能引用表名：“{node.sql()}”")
    name = node.name
    if name not in scope.fields and name not in scope.parameters:
        known = "、".join(sorted(scope.fields)) or "无"
        raise _refuse(
            where,
            text,
            f"引用了未知的字段或参数“{name}”（{scope.name}级可用字段：{known}；或策略参数）",
        )


def _check_call(node: exp.Anonymous, scope: Scope, where: str, text: str) -> None:
    name = str(node.this).lower()
    args = list(node.expressions)
    if name in scope.aggregates:
        aggregate = scope.aggregates[name]
        if len(args) != 1:
            raise _refuse(where, text, f"函数 {name} 需要且只需要一个条件参数")
        _check(args[0], aggregate.child, where, text)
        return
    if name == LIST_FUNCTION:
        if len(args) != 2 or not isinstance(args[0], exp.Column) or not _is_string(args[1]):
            raise _refuse(where, text, f"函数 {name} 的用法应为 {name}(列表字段, '取值')")
        _check_column(args[0], scope, where, text)
        f = scope.fields.get(args[0].name)
        if f is None or f.type not in ("list", "enum"):
            raise _refuse(
                where, text, f"函数 {name} 的第一个参数应为列表字段，“{args[0].name}”不是"
            )
        _check_value(f, args[1], where, text)
        return
    allowed = sorted({*scope.aggregates, LIST_FUNCTION, *FUNCTIONS.values()})
    raise _refuse(where, text, f"使用了未知的函数 {name}（允许的函数：{'、'.join(allowed)}）")


def _is_string(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def _check_enum_literals(node: exp.Expr, scope: Scope, where: str, text: str) -> None:
    """`housing_grade IN ('A', 'E')`: a value the field cannot take is a typo, refuse it."""
    column = node.this
    others = list(node.expressions) if isinstance(node, exp.In) else [node.expression]
    if not isinstance(column, exp.Column) and isinstance(node, exp.EQ | exp.NEQ):
        column, others = node.expression, [node.this]
    if not isinstance(column, exp.Column):
        return
    f = scope.fields.get(column.name)
    if f is None or f.type not in ("enum", "list") or not f.values:
        return
    for other in others:
        if _is_string(other):
            _check_value(f, other, where, text)


def _check_value(f: Field, literal: exp.Expr, where: str, text: str) -> None:
    value = literal.name
    if f.values and value not in f.values:
        raise _refuse(
            where,
            text,
            f"中“{f.name}”（{f.label}）的取值“{value}”不存在，应为：{'、'.join(f.values)}",
        )


def referenced_names(tree: exp.Expr) -> set[str]:
    """Every field or parameter name a checked expression mentions (at any level)."""
    return {c.name for c in tree.find_all(exp.Column)}


def is_numeric(f: Field) -> bool:
    return f.type in _NUMERIC

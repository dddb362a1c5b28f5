"""Rule expressions of the monitoring policy: checked with sqlglot, compiled to DuckDB SQL.

The language is the one of the exit-standard policy files: a boolean over household fields,
derived household values, policy parameters, `has(list_field, 'value')` and the member
aggregates `any_member(...)`, `all_members(...)`, `count_members(...)`. Only known names, a small
set of syntax nodes and a few plain functions are accepted.

Compiled SQL reads the view `monitoring_households` (alias h, see `frame`) and the table
`members` (alias m); parameters become literals in the syntax tree, never by string edits.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from fupin.engine.standard_format import HOUSEHOLDS, MEMBERS, Field

ParamValue = bool | int | float | str


class ExpressionError(ValueError):
    """An expression is refused; str() says where and why, in Chinese."""


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

AGGREGATES = ("any_member", "all_members", "count_members")
LIST_FUNCTION = "has"
FUNCTIONS: dict[type[exp.Expr], str] = {
    exp.Coalesce: "coalesce",
    exp.Abs: "abs",
    exp.Round: "round",
    exp.Greatest: "greatest",
    exp.Least: "least",
}
_ALLOWED: tuple[type[exp.Expr], ...] = (
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
    exp.Tuple,
)


def parse(text: str, where: str) -> exp.Expr:
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(f"{where}：表达式为空")
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except (ParseError, TokenError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ExpressionError(f"{where}：表达式“{text}”无法解析（{first}）") from None
    if len(statements) != 1:
        raise ExpressionError(f"{where}：表达式“{text}”包含多条语句，只允许一个条件，已拒绝")
    return statements[0]


def check(text: str, parameters: Mapping[str, ParamValue], where: str) -> exp.Expr:
    """The syntax tree of `text` once every name and function in it is known."""
    tree = parse(text, where)
    _check(tree, HOUSEHOLD_FIELDS, parameters, True, where, text)
    return tree


def _refuse(where: str, text: str, what: str) -> ExpressionError:
    return ExpressionError(f"{where}：表达式“{text}”{what}")


def _check(
    node: exp.Expr,
    fields: Mapping[str, Field],
    parameters: Mapping[str, ParamValue],
    household: bool,
    where: str,
    text: str,
) -> None:
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
        args = list(node.expressions)
        if name in AGGREGATES and household:
            if len(args) != 1:
                raise _refuse(where, text, f"函数 {name} 需要且只需要一个条件参数")
            _check(args[0], MEMBER_FIELDS, parameters, False, where, text)
            return
        if name == LIST_FUNCTION:
            ok = len(args) == 2 and isinstance(args[0], exp.Column)
            if not ok or not (isinstance(args[1], exp.Literal) and args[1].is_string):
                raise _refuse(where, text, "函数 has 的用法应为 has(列表字段, '取值')")
            f = fields.get(args[0].name)
            if f is None or f.type not in ("list", "enum"):
                raise _refuse(where, text, f"函数 has 的第一个参数应为列表字段：{args[0].name}")
            _check_value(f, args[1].name, where, text)
            return
        allowed = "、".join([*AGGREGATES, LIST_FUNCTION, *FUNCTIONS.values()])
        raise _refuse(where, text, f"使用了未知的函数 {name}（允许的函数：{allowed}）")
    if isinstance(node, exp.Column):
        if node.table or not isinstance(node.this, exp.Identifier):
            raise _refuse(where, text, f"不能引用表名：“{node.sql()}”")
        if node.name not in fields and node.name not in parameters:
            level = "户" if household else "成员"
            raise _refuse(where, text, f"引用了未知的字段或参数“{node.name}”（{level}级）")
        return
    if isinstance(node, _ALLOWED) or type(node) in FUNCTIONS:
        pass
    elif isinstance(node, exp.Func):
        raise _refuse(where, text, f"使用了不允许的函数 {node.sql_name()}")
    else:
        raise _refuse(where, text, f"包含不允许的语法“{node.sql()}”（{type(node).__name__}）")
    if isinstance(node, exp.EQ | exp.NEQ | exp.In):
        _check_enum(node, fields, where, text)
    for child in node.iter_expressions():
        _check(child, fields, parameters, household, where, text)


def _check_enum(node: exp.Expr, fields: Mapping[str, Field], where: str, text: str) -> None:
    column = node.this
    others = list(node.expressions) if isinstance(node, exp.In) else [node.expression]
    if not isinstance(column, exp.Column) and not isinstance(node, exp.In):
        column, others = node.expression, [node.this]
    if not isinstance(column, exp.Column):
        return
    f = fields.get(column.name)
    if f is None or not f.values:
        return
    for other in others:
        if isinstance(other, exp.Literal) and other.is_string:
            _check_value(f, other.name, where, text)


def _check_value(f: Field, value: str, where: str, text: str) -> None:
    if f.values and value not in f.values:
        allowed = "、".join(f.values)
        raise _refuse(where, text, f"中“{f.label}”的取值“{value}”不存在，应为：{allowed}")


def _literal(value: ParamValue) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def compile_sql(tree: exp.Expr, parameters: Mapping[str, ParamValue]) -> str:
    """DuckDB SQL of a checked expression over `monitoring_households h` and `members m`."""
    return _compile(tree.copy(), parameters, "h").sql(dialect="duckdb")


def _compile(node: exp.Expr, parameters: Mapping[str, ParamValue], alias: str) -> exp.Expr:
    def rewrite(n: exp.Expr) -> exp.Expr:
        if isinstance(n, exp.Column) and not n.table:
            if n.name in parameters and n.name not in (
                HOUSEHOLD_FIELDS if alias == "h" else MEMBER_FIELDS
            ):
                return _literal(parameters[n.name])
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

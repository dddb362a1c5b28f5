"""Compile checked policy expressions into SQL syntax trees, and a policy into a plan of SQL
steps that evaluates every household, village and county.

Expressions are rewritten as trees, never by editing SQL text: parameters become literals,
aggregates over members (or households) become columns of an aggregation step, `has(list, v)`
becomes LIKEs over the ';'-joined list, and every division is made safe (NULL on zero).

Truth follows SQL's three-valued logic: NULL is unknown. A criterion with `applies_when` is
`NOT applies OR expression`, so it passes when it does not apply and stays unknown only when the
answer depends on what is unknown. `all_members(e)` is false when e is false for any member,
else unknown when e is unknown for any member, else true (true for a household without members);
`any_member` likewise; `count_members(e)` counts the members for whom e is true.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from fupin.engine.policy.expressions import (
    LIST_FUNCTION,
    AggregateKind,
    ParamValue,
    Scope,
)
from fupin.engine.policy.loading import Criterion, Policy
from fupin.engine.policy.scopes import county_scope, household_scope, member_scope, village_scope
from fupin.engine.sql_plan import Plan, Step
from fupin.engine.standard_format import HOUSEHOLDS, VILLAGE_FLAGS, VILLAGES

VERDICT_PASSED = "达标"
VERDICT_FAILED = "未达标"
VERDICT_UNKNOWN = "数据不全"
POOR_STATUSES = ("未脱贫", "返贫")
POOR_VILLAGE_FLAGS = tuple(f for f in VILLAGE_FLAGS if f != "非贫困村")

_DOUBLE = exp.DataType.build("DOUBLE")
_BIGINT = exp.DataType.build("BIGINT")
_INT = exp.DataType.build("INT")


def _sql(text: str) -> exp.Expr:
    """Parse SQL written in this module (never text from a policy file)."""
    return sqlglot.parse_one(text, read="duckdb")


def _query(text: str) -> exp.Query:
    query = _sql(text)
    assert isinstance(query, exp.Query)
    return query


def literal(value: ParamValue) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value) if value >= 0 else exp.Neg(this=exp.Literal.number(-value))
    return exp.Literal.string(value)


def _paren(e: exp.Expr) -> exp.Expr:
    return (
        e
        if isinstance(e, exp.Paren | exp.Column | exp.Literal | exp.Boolean)
        else exp.Paren(this=e)
    )


def _case(*whens: tuple[exp.Expr, exp.Expr], default: exp.Expr | None = None) -> exp.Case:
    case = exp.Case()
    for cond, then in whens:
        case = case.when(cond, then)
    if default is not None:
        case = case.else_(default)
    return case


def _concat_ws(items: Sequence[exp.Expr], separator: str = ";") -> exp.Expr:
    """CONCAT_WS skipping NULL items, as DuckDB and Spark both do."""
    return exp.ConcatWs(
        expressions=[exp.Literal.string(separator), *items], safe=True, coalesce=True
    )


def _int(n: int) -> exp.Expr:
    return exp.Literal.number(n)


def aggregate_sql(kind: AggregateKind, inner: exp.Expr) -> exp.Expr:
    """The SQL aggregate over child rows for all/any/count of a boolean expression.

    all/any rank each row's truth (false 0, unknown 1, true 2) and take the minimum (all) or
    the maximum (any): one aggregate, and Kleene's logic over the rows. The rank is
    `COALESCE(CAST(e AS INT) * 2, 1)`, which evaluates `e` once (a CASE on `e` and `NOT e`
    evaluates it twice: about 10 % of the member aggregation at a million households).
    count is COUNT(CASE WHEN e THEN 1 END): a BIGINT counter (a SUM of 1/0 keeps a 128-bit
    sum in DuckDB; COUNT_IF gives NULL, not 0, over only unknown rows)."""
    e = _paren(inner)
    if kind == "count":
        return exp.Count(this=_case((e, _int(1))))
    rank = exp.Coalesce(
        this=exp.Mul(this=exp.Cast(this=e, to=_INT), expression=_int(2)), expressions=[_int(1)]
    )
    folded: exp.Expr = exp.Min(this=rank) if kind == "all" else exp.Max(this=rank)
    return exp.Case(
        this=folded,
        ifs=[exp.If(this=_int(2), true=exp.true()), exp.If(this=_int(0), true=exp.false())],
    )


def empty_value(kind: AggregateKind) -> exp.Expr:
    """An aggregate's value over no rows."""
    return {"all": exp.true(), "any": exp.false(), "count": _int(0)}[kind]


@dataclass
class LevelCompiler:
    """Compiles expressions of one scope; aggregates become columns `<prefix><n>` computed by
    the aggregation step over the child level's rows."""

    scope: Scope
    parameters: Mapping[str, ParamValue]
    prefix: str
    child: LevelCompiler | None = None
    aggregates: list[tuple[str, AggregateKind, exp.Expr]] = field(default_factory=list)

    def compile(self, node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous):
            return self._call(node)
        if isinstance(node, exp.Column):
            if node.name in self.parameters:
                return literal(self.parameters[node.name])
            return exp.column(node.name)
        if isinstance(node, exp.Div):
            return exp.Div(
                this=exp.Cast(this=_paren(self.compile(node.this)), to=_DOUBLE),
                expression=exp.Nullif(this=self.compile(node.expression), expression=_int(0)),
            )
        args: dict[str, object] = {}
        for key, value in node.args.items():
            if isinstance(value, exp.Expr):
                args[key] = self.compile(value)
            elif isinstance(value, list):
                args[key] = [self.compile(v) if isinstance(v, exp.Expr) else v for v in value]
            else:
                args[key] = value
        return type(node)(**args)

    def _call(self, node: exp.Anonymous) -> exp.Expr:
        name = str(node.this).lower()
        args = list(node.expressions)
        if name == LIST_FUNCTION:
            # the ';'-joined list holds the value as its only, first, last or a middle item:
            # prefix/suffix/infix LIKEs without building ';' || list || ';' for every row (the
            # value is one of the field's allowed values, checked on load: no LIKE wildcards)
            value = args[1].name
            patterns = (f"{value};%", f"%;{value}", f"%;{value};%")
            field_sql = self.compile(args[0])
            tests: list[exp.Expr] = [exp.EQ(this=field_sql, expression=exp.Literal.string(value))]
            tests += [
                exp.Like(this=field_sql.copy(), expression=exp.Literal.string(p)) for p in patterns
            ]
            return exp.Coalesce(this=exp.Paren(this=exp.or_(*tests)), expressions=[exp.false()])
        aggregate = self.scope.aggregates[name]
        assert self.child is not None
        inner = self.child.compile(args[0])
        key = inner.sql()
        for alias, kind, existing in self.aggregates:
            if kind == aggregate.kind and existing.sql() == key:
                return exp.column(alias)
        alias = f"{self.prefix}{len(self.aggregates)}"
        self.aggregates.append((alias, aggregate.kind, inner))
        return exp.column(alias)


def compile_expression(
    tree: exp.Expr, scope: Scope, parameters: Mapping[str, ParamValue]
) -> tuple[exp.Expr, list[tuple[str, AggregateKind, exp.Expr]]]:
    """Compile one checked expression of a scope without aggregates of aggregates; returns the
    SQL tree and the aggregate columns it needs (alias, kind, SQL over the child rows). For
    reuse by other rule sets with their own scopes."""
    child_scope = next(iter(scope.aggregates.values())).child if scope.aggregates else None
    child = LevelCompiler(child_scope, parameters, "fupin_c") if child_scope else None
    level = LevelCompiler(scope, parameters, "fupin_a", child)
    return level.compile(tree), level.aggregates


# --- the exit-evaluation plan -------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledCriterion:
    criterion: Criterion
    verdict: exp.Expr  # TRUE / FALSE / NULL
    applies: exp.Expr | None
    gap_parts: tuple[str | exp.Expr, ...]  # text, or a value column's expression

    @property
    def column(self) -> str:
        return f"c_{self.criterion.id}"


@dataclass(frozen=True)
class ExitPlan:
    policy: Policy
    as_of: dt.date
    plan: Plan
    criteria: dict[str, tuple[CompiledCriterion, ...]]


def _compile_criteria(
    criteria: Sequence[Criterion], level: LevelCompiler
) -> tuple[CompiledCriterion, ...]:
    out = []
    for c in criteria:
        expression = _paren(level.compile(c.tree))
        applies = _paren(level.compile(c.applies_tree)) if c.applies_tree is not None else None
        verdict = (
            exp.Or(this=exp.Not(this=applies), expression=expression)
            if applies is not None
            else expression
        )
        parts: list[str | exp.Expr] = []
        for part in c.gap_parts:
            parts.append(part if isinstance(part, str) else level.compile(part))
        out.append(CompiledCriterion(c, verdict, applies, tuple(parts)))
    return tuple(out)


def _id_columns(compiled: Sequence[CompiledCriterion]) -> list[exp.Expr]:
    """failed_criteria, unknown_criteria (ids sorted) and rectification_criteria from the c_
    columns.

    The id lists are built only for the rows that failed something / have something unknown
    (a CASE on plain boolean tests); every other row gets '' without any string work."""
    exits = [c for c in compiled if c.criterion.kind == "exit"]
    cols = [exp.column(c.column) for c in exits]
    ordered = sorted(exits, key=lambda c: c.criterion.id)

    def ids(condition: str) -> exp.Expr:
        items = [
            _case(
                (
                    exp.Not(this=exp.column(c.column))
                    if condition == "failed"
                    else exp.Is(this=exp.column(c.column), expression=exp.Null()),
                    exp.Literal.string(c.criterion.id),
                )
            )
            for c in ordered
        ]
        return _concat_ws(items)

    if cols:
        any_false = exp.or_(*[exp.Not(this=c) for c in cols])
        any_unknown = exp.or_(*[exp.Is(this=c, expression=exp.Null()) for c in cols])
        failed: exp.Expr = _case((any_false, ids("failed")), default=exp.Literal.string(""))
        unknown: exp.Expr = _case((any_unknown, ids("unknown")), default=exp.Literal.string(""))
    else:
        failed = unknown = exp.Literal.string("")
    out = [exp.alias_(failed, "failed_criteria"), exp.alias_(unknown, "unknown_criteria")]
    rectification = sorted(
        (c for c in compiled if c.criterion.kind == "rectification"), key=lambda c: c.criterion.id
    )
    if rectification:
        items = [
            _case((exp.Not(this=exp.column(c.column)), exp.Literal.string(c.criterion.id)))
            for c in rectification
        ]
        out.append(exp.alias_(_concat_ws(items), "rectification_criteria"))
    return out


def _verdict_columns(
    compiled: Sequence[CompiledCriterion], failed_mask: exp.Column | None = None
) -> list[exp.Expr]:
    """passed and verdict from the id lists (or the failed mask, where the plan has one): a
    failed criterion fails the verdict, else an unknown one leaves it 数据不全. Two tests per
    row where the c_ columns would take a three-valued AND and OR over every criterion (5-6 %
    of the household evaluation)."""
    failed = exp.column("failed_criteria")
    unknown = exp.column("unknown_criteria")
    none_failed = exp.EQ(this=failed, expression=exp.Literal.string(""))
    some_failed = exp.NEQ(this=failed.copy(), expression=exp.Literal.string(""))
    if failed_mask is not None:
        none_failed = exp.EQ(this=failed_mask, expression=_int(0))
        some_failed = exp.NEQ(this=failed_mask.copy(), expression=_int(0))
    none_unknown = exp.EQ(this=unknown, expression=exp.Literal.string(""))
    verdict = _case(
        (
            some_failed,
            exp.Literal.string(VERDICT_FAILED),
        ),
        (
            exp.NEQ(this=unknown.copy(), expression=exp.Literal.string("")),
            exp.Literal.string(VERDICT_UNKNOWN),
        ),
        default=exp.Literal.string(VERDICT_PASSED),
    )
    id_names = ["failed_criteria", "unknown_criteria"]
    if any(c.criterion.kind == "rectification" for c in compiled):
        id_names.append("rectification_criteria")
    return [
        exp.alias_(exp.and_(none_failed, none_unknown), "passed"),
        exp.alias_(verdict, "verdict"),
        *[exp.column(n) for n in id_names],
    ]


# Up to this many exit criteria at a level, failed_criteria is looked up by the bit mask of the
# failed ones in a table of every mask's id list (2**n rows, 16,384 for yunnan-2017's 14),
# joined on the mask, instead of being concatenated per row: the joined list is a reference to
# the table's string, not a new string per household (2.5-3 % fewer instructions for the whole
# household evaluation, callgrind, 100,000 households). More criteria: built per row.
_MASKED_CRITERIA = 16


def _failed_mask(exits: Sequence[CompiledCriterion]) -> exp.Expr:
    """Bit k set where the k-th exit criterion (ids sorted) is false; unknown counts as 0."""
    terms = [
        _case((exp.Not(this=exp.column(c.column)), _int(1 << k)), default=_int(0))
        for k, c in enumerate(exits)
    ]
    out: exp.Expr = terms[0]
    for t in terms[1:]:
        out = exp.Add(this=out, expression=t)
    return out


def _failed_names(exits: Sequence[CompiledCriterion]) -> exp.Query:
    """Every failed mask with its id list: one two-row VALUES per criterion, cross-joined."""
    tables = []
    for k, c in enumerate(exits):
        rows = f"(0, CAST(NULL AS VARCHAR)), ({1 << k}, '{c.criterion.id}')"
        tables.append(f"(VALUES {rows}) AS b{k}(m, id)")
    mask = " + ".join(f"b{k}.m" for k in range(len(exits)))
    ids = ", ".join(f"b{k}.id" for k in range(len(exits)))
    return _query(
        f"SELECT {mask} AS failed_mask, CONCAT_WS(';', {ids}) AS failed_criteria"
        f" FROM {' CROSS JOIN '.join(tables)}"
    )


def _exit_steps(
    level: str,
    criteria: exp.Select,
    compiled: Sequence[CompiledCriterion],
    *,
    materialize: bool = False,
) -> list[Step]:
    """fupin_<level>_criteria (the c_ columns), fupin_<level>_ids (the id lists, or the failed
    mask and the other lists), fupin_<level>_failed_names (each mask's list, see
    _MASKED_CRITERIA) and fupin_<level>_exit: the criteria's columns, then passed, verdict and
    the id lists."""
    names = [e.alias_or_name for e in criteria.expressions]
    exits = sorted(
        (c for c in compiled if c.criterion.kind == "exit"), key=lambda c: c.criterion.id
    )
    criteria_step = Step(f"fupin_{level}_criteria", criteria)
    ids, exit_name = f"fupin_{level}_ids", f"fupin_{level}_exit"
    if not exits or len(exits) > _MASKED_CRITERIA:
        return [
            criteria_step,
            Step(ids, exp.select("*", *_id_columns(compiled)).from_(criteria_step.name)),
            Step(
                exit_name,
                exp.select(*names, *_verdict_columns(compiled)).from_(ids),
                materialize=materialize,
            ),
        ]
    others = [e for e in _id_columns(compiled) if e.alias_or_name != "failed_criteria"]
    mask = exp.alias_(_failed_mask(exits), "failed_mask")
    names_step = Step(f"fupin_{level}_failed_names", _failed_names(exits))
    verdict = _verdict_columns(compiled, failed_mask=exp.column("failed_mask", "i"))
    return [
        criteria_step,
        Step(ids, exp.select("*", mask, *others).from_(criteria_step.name)),
        names_step,
        Step(
            exit_name,
            exp.select(*[exp.column(n, "i") for n in names], *verdict)
            .from_(f"{ids} AS i")
            .join(f"{names_step.name} AS n", on="i.failed_mask = n.failed_mask"),
            materialize=materialize,
        ),
    ]


def _criterion_columns(compiled: Sequence[CompiledCriterion]) -> list[exp.Expr]:
    """c_<id> (the verdict), a_<id> (applies) and g_<id>_<k>, the values the gap sentence
    names. A computed gap value (a string built with ||, a division) is computed only where
    the criterion failed, the only rows whose sentence is written; elsewhere it is NULL (at a
    million households, building the housing sentence's text for every row cost 0.2 s)."""
    out: list[exp.Expr] = []
    for c in compiled:
        out.append(exp.alias_(c.verdict, c.column))
        if c.applies is not None:
            out.append(exp.alias_(c.applies, f"a_{c.criterion.id}"))
        for k, part in enumerate(c.gap_parts):
            if isinstance(part, exp.Expr) and not isinstance(
                part, exp.Literal | exp.Neg | exp.Boolean
            ):
                value = part
                if not isinstance(part, exp.Column):
                    value = _case((exp.Not(this=_paren(c.verdict.copy())), part.copy()))
                out.append(exp.alias_(value, f"g_{c.criterion.id}_{k}"))
    return out


# all/any aggregates travel as two bits each in BIGINT flag columns folded with BIT_OR: the
# decisive bit (a member for whom the expression is false, for all; true, for any) and the
# unknown bit. At a million households one BIT_OR instead of one aggregate per expression cut
# the member aggregation by about a fifth. 31 pairs fit a BIGINT without its sign bit.
_TRUTHS_PER_FLAGS = 31


@dataclass(frozen=True)
class _Truth:
    alias: str  # the aggregate's column at the parent level
    kind: AggregateKind  # all or any
    inner: exp.Expr
    flags: str  # the flags column holding its bits
    decisive: int  # the bit: false (all) or true (any) for some child row
    unknown: int  # the bit: unknown for some child row


def _truths(level: LevelCompiler) -> list[_Truth]:
    truths = [(a, k, i) for a, k, i in level.aggregates if k != "count"]
    return [
        _Truth(
            alias,
            kind,
            inner,
            f"{level.prefix}_flags{n // _TRUTHS_PER_FLAGS}",
            1 << (2 * (n % _TRUTHS_PER_FLAGS)),
            1 << (2 * (n % _TRUTHS_PER_FLAGS) + 1),
        )
        for n, (alias, kind, inner) in enumerate(truths)
    ]


def _aggregate_columns(level: LevelCompiler) -> list[exp.Expr]:
    """The aggregation step's columns: a COUNT per count aggregate, a BIT_OR per flags column."""
    out = [
        exp.alias_(aggregate_sql(kind, inner), alias)
        for alias, kind, inner in level.aggregates
        if kind == "count"
    ]
    bits: dict[str, list[exp.Expr]] = {}
    for t in _truths(level):
        # COALESCE(CAST(NOT e AS BIGINT) * decisive, unknown): e is evaluated once per row
        decisive = exp.Not(this=_paren(t.inner)) if t.kind == "all" else _paren(t.inner)
        value = exp.Coalesce(
            this=exp.Mul(this=exp.Cast(this=decisive, to=_BIGINT), expression=_int(t.decisive)),
            expressions=[_int(t.unknown)],
        )
        bits.setdefault(t.flags, []).append(value)
    for flags, values in bits.items():
        folded = values[0]
        for v in values[1:]:
            folded = exp.BitwiseOr(this=folded, expression=v)
        out.append(exp.alias_(exp.BitwiseOrAgg(this=folded), flags))
    return out


def _aggregate_defaults(level: LevelCompiler, table: str) -> list[exp.Expr]:
    """The parent level's aggregate columns from the aggregation step joined as `table`; a
    parent without child rows (no match: the counts and flags are NULL) gets each aggregate's
    value over no rows."""
    out = [
        exp.alias_(
            exp.Coalesce(this=exp.column(alias, table), expressions=[empty_value(kind)]), alias
        )
        for alias, kind, _ in level.aggregates
        if kind == "count"
    ]
    for t in _truths(level):

        def has(bit: int, flags: str = t.flags) -> exp.Expr:
            masked = exp.Paren(
                this=exp.BitwiseAnd(this=exp.column(flags, table), expression=_int(bit))
            )
            return exp.NEQ(this=masked, expression=_int(0))

        found = exp.true() if t.kind == "any" else exp.false()
        value = _case(
            (has(t.decisive), found), (has(t.unknown), exp.Null()), default=empty_value(t.kind)
        )
        out.append(exp.alias_(value, t.alias))
    return out


# measure_count compared so that only 0 against 1 or more matters: 有无帮扶措施
_EXISTENCE_TESTS = {(exp.GTE, 1), (exp.GT, 0), (exp.NEQ, 0), (exp.LT, 1), (exp.LTE, 0), (exp.EQ, 0)}


def _counts_measures(trees: Sequence[exp.Expr]) -> bool:
    """Whether some expression needs the number of a household's measures, not only whether
    it has one. When none does, the plan tests existence (a semi-join) and counts no measures:
    the count capped at 1 gives every such test the same answer, at a sixth of the cost of
    the evaluation's aggregation of measures and its join."""
    for tree in trees:
        for column in tree.find_all(exp.Column):
            if column.name != "measure_count":
                continue
            node: exp.Expr = column
            while isinstance(node.parent, exp.Paren):
                node = node.parent
            test = node.parent
            bound = test.expression if isinstance(test, exp.Binary) else None
            if not (
                isinstance(test, exp.Binary)
                and test.this is node
                and isinstance(bound, exp.Literal)
                and not bound.is_string
                and (type(test), bound.to_py()) in _EXISTENCE_TESTS
            ):
                return True
    return False


def _in_ids(column: exp.Expr, household_ids: Sequence[str]) -> exp.Expr:
    return exp.In(this=column, expressions=[exp.Literal.string(i) for i in household_ids])


def compile_exit_plan(
    policy: Policy,
    as_of: dt.date,
    *,
    household_ids: Sequence[str] | None = None,
    households_only: bool = False,
) -> ExitPlan:
    """The plan evaluating `policy` as of `as_of`; outputs households, villages, counties.

    With `household_ids`, only those households are evaluated (for explaining one household);
    village and county results are then meaningless and not among the outputs. With
    `households_only`, every household is evaluated and nothing else.
    """
    only_households = households_only or household_ids is not None
    params = policy.values()
    members = LevelCompiler(member_scope(), params, "fupin_m")
    households = LevelCompiler(household_scope(), params, "fupin_m", members)
    villages = LevelCompiler(village_scope(), params, "fupin_h", households)
    counties = LevelCompiler(county_scope(), params, "fupin_v")
    compiled = {
        "county": _compile_criteria(policy.level("county"), counties),
        "village": _compile_criteria(policy.level("village"), villages),
        "household": _compile_criteria(policy.level("household"), households),
    }
    steps: list[Step] = []

    # members, with their age at the as-of date
    birthday_passed = f"CASE WHEN MONTH(birth_date) * 100 + DAY(birth_date) > {as_of.month * 100 + as_of.day} THEN 1 ELSE 0 END"
    member_rows = exp.select(
        "*", exp.alias_(_sql(f"{as_of.year} - YEAR(birth_date) - {birthday_passed}"), "age")
    ).from_("members")
    if household_ids is not None:
        member_rows = member_rows.where(_in_ids(exp.column("household_id"), household_ids))
    steps.append(Step("fupin_member_rows", member_rows))
    member_agg = (
        exp.select(
            "household_id",
            exp.alias_(exp.Count(this=exp.Star()), "member_count"),
            *_aggregate_columns(households),
        )
        .from_("fupin_member_rows")
        .group_by("household_id")
    )
    steps.append(Step("fupin_member_agg", member_agg))
    measures_in_force = f"year IS NULL OR year <= {as_of.year}"
    household_trees = [
        tree
        for c in compiled["household"]
        for tree in (c.verdict, c.applies, *[p for p in c.gap_parts if not isinstance(p, str)])
        if tree is not None
    ] + [inner for _, _, inner in villages.aggregates]
    counts_measures = _counts_measures(household_trees)
    if counts_measures:
        measure_agg = (
            exp.select("household_id", exp.alias_(exp.Count(this=exp.Star()), "measure_count"))
            .from_("measures")
            .where(_sql(measures_in_force))
            .group_by("household_id")
        )
        steps.append(Step("fupin_measure_agg", measure_agg))
        measure_count = _sql("COALESCE(ms.measure_count, 0)")
    else:
        measure_count = _sql(
            "CASE WHEN h.household_id IN (SELECT household_id FROM measures"
            f" WHERE household_id IS NOT NULL AND ({measures_in_force})) THEN 1 ELSE 0 END"
        )

    member_count = _sql("COALESCE(ma.member_count, 0)")
    net_income = _sql(
        "h.wage_income + h.business_income - h.business_expense + h.property_income + h.transfer_income"
    )
    # only the household fields some expression reads (a snapshot has many more columns)
    used = {"household_id", "region_code", "status"}
    for level_criteria in (compiled["household"],):
        for c in level_criteria:
            for tree in (c.verdict, c.applies, *[p for p in c.gap_parts if not isinstance(p, str)]):
                if tree is not None:
                    used |= {col.name for col in tree.find_all(exp.Column)}
    for _, _, inner in villages.aggregates:
        used |= {col.name for col in inner.find_all(exp.Column)}
    household_fields = [exp.column(f.name, "h") for f in HOUSEHOLDS.fields if f.name in used]
    household_rows = (
        exp.select(
            *household_fields,
            exp.alias_(member_count, "member_count"),
            exp.alias_(net_income, "net_income"),
            exp.alias_(
                exp.Div(
                    this=exp.Cast(this=exp.Paren(this=net_income.copy()), to=_DOUBLE),
                    expression=exp.Nullif(this=member_count.copy(), expression=_int(0)),
                ),
                "per_capita_net_income",
            ),
            exp.alias_(measure_count, "measure_count"),
            *_aggregate_defaults(households, "ma"),
        )
        .from_("households AS h")
        .join("fupin_member_agg AS ma", on="h.household_id = ma.household_id", join_type="left")
    )
    if counts_measures:
        household_rows = household_rows.join(
            "fupin_measure_agg AS ms", on="h.household_id = ms.household_id", join_type="left"
        )
    if household_ids is not None:
        household_rows = household_rows.where(
            _in_ids(exp.column("household_id", "h"), household_ids)
        )
    steps.append(Step("fupin_household_rows", household_rows, materialize=not only_households))

    household_exit = exp.select(
        "household_id",
        "region_code",
        "status",
        "member_count",
        "net_income",
        "per_capita_net_income",
        *_criterion_columns(compiled["household"]),
    ).from_("fupin_household_rows")
    steps += _exit_steps("household", household_exit, compiled["household"])
    outputs = {"households": "fupin_household_exit"}
    if only_households:
        return ExitPlan(policy, as_of, Plan(tuple(steps), outputs), compiled)

    # villages: the village table and every poor village among the regions
    poor = "(" + ", ".join(f"'{s}'" for s in POOR_STATUSES) + ")"
    poor_flags = "(" + ", ".join(f"'{s}'" for s in POOR_VILLAGE_FLAGS) + ")"
    village_household_agg = (
        exp.select(
            "region_code",
            exp.alias_(exp.Count(this=exp.Star()), "household_count"),
            exp.alias_(
                _sql(
                    f"CAST(SUM(CASE WHEN status IN {poor} THEN member_count ELSE 0 END) AS BIGINT)"
                ),
                "poor_population",
            ),
            *_aggregate_columns(villages),
        )
        .from_("fupin_household_rows")
        .group_by("region_code")
    )
    steps.append(Step("fupin_village_household_agg", village_household_agg))
    codes = _sql(
        f"SELECT region_code FROM villages UNION SELECT code AS region_code FROM regions WHERE level = '村' AND poverty_flag IN {poor_flags}"
    )
    village_fields = [exp.column(f.name, "v") for f in VILLAGES.fields if f.name != "region_code"]
    village_rows = (
        exp.select(
            "k.region_code",
            *village_fields,
            "r.name",
            "r.poverty_flag",
            "r.population",
            exp.alias_(_sql("COALESCE(ha.household_count, 0)"), "household_count"),
            exp.alias_(_sql("COALESCE(ha.poor_population, 0)"), "poor_population"),
            exp.alias_(
                _sql(
                    "CAST(COALESCE(ha.poor_population, 0) AS DOUBLE) * 100 / NULLIF(r.population, 0)"
                ),
                "incidence",
            ),
            *_aggregate_defaults(villages, "ha"),
        )
        .from_(exp.alias_(exp.Subquery(this=codes), "k"))
        .join("villages AS v", on="k.region_code = v.region_code", join_type="left")
        .join("regions AS r", on="k.region_code = r.code", join_type="left")
        .join(
            "fupin_village_household_agg AS ha",
            on="k.region_code = ha.region_code",
            join_type="left",
        )
    )
    steps.append(Step("fupin_village_rows", village_rows))
    village_criteria = exp.select(
        "region_code",
        "name",
        "poverty_flag",
        "population",
        "poor_population",
        "incidence",
        *_criterion_columns(compiled["village"]),
    ).from_("fupin_village_rows")
    steps += _exit_steps("village", village_criteria, compiled["village"], materialize=True)
    outputs["villages"] = "fupin_village_exit"

    # counties: the first six digits of the region code
    county_of = "SUBSTRING(region_code, 1, 6) || '000000'"
    steps.append(
        Step(
            "fupin_county_rows",
            _query(
                f"""
                WITH hh AS (
                    SELECT {county_of} AS region_code,
                           CAST(SUM(CASE WHEN status IN {poor} THEN member_count ELSE 0 END) AS BIGINT) AS poor_population
                    FROM fupin_household_rows GROUP BY {county_of}
                ), vv AS (
                    SELECT {county_of} AS region_code,
                           CAST(SUM(CASE WHEN poverty_flag IN {poor_flags} THEN 1 ELSE 0 END) AS BIGINT) AS poor_villages,
                           CAST(SUM(CASE WHEN poverty_flag IN {poor_flags} AND NOT passed THEN 1 ELSE 0 END) AS BIGINT) AS poor_villages_not_exited
                    FROM fupin_village_exit GROUP BY {county_of}
                ), pp AS (
                    SELECT SUBSTRING(code, 1, 6) || '000000' AS region_code,
                           CAST(SUM(population) AS BIGINT) AS village_population
                    FROM regions WHERE level = '村' GROUP BY SUBSTRING(code, 1, 6) || '000000'
                ), k AS (
                    SELECT region_code FROM hh UNION SELECT region_code FROM vv
                )
                SELECT k.region_code, r.name,
                       CAST(COALESCE(r.population, pp.village_population) AS BIGINT) AS population,
                       COALESCE(hh.poor_population, 0) AS poor_population,
                       CAST(COALESCE(hh.poor_population, 0) AS DOUBLE) * 100
                           / NULLIF(COALESCE(r.population, pp.village_population), 0) AS incidence,
                       COALESCE(vv.poor_villages, 0) AS poor_villages,
                       COALESCE(vv.poor_villages_not_exited, 0) AS poor_villages_not_exited,
                       f.rural_income_growth, f.province_rural_income_growth, f.wrong_exit_rate,
                       f.missed_rate, f.wrong_identification_rate, f.recognition_rate
                FROM k
                LEFT JOIN hh ON k.region_code = hh.region_code
                LEFT JOIN vv ON k.region_code = vv.region_code
                LEFT JOIN pp ON k.region_code = pp.region_code
                LEFT JOIN regions AS r ON k.region_code = r.code
                LEFT JOIN county_facts AS f ON k.region_code = f.region_code
                """
            ),
        )
    )
    county_criteria = exp.select(
        "region_code",
        "name",
        "population",
        "poor_population",
        "incidence",
        "poor_villages",
        "poor_villages_not_exited",
        *_criterion_columns(compiled["county"]),
    ).from_("fupin_county_rows")
    steps += _exit_steps("county", county_criteria, compiled["county"])
    outputs["counties"] = "fupin_county_exit"
    return ExitPlan(policy, as_of, Plan(tuple(steps), outputs), compiled)

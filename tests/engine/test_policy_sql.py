"""Golden tests: what policy expressions compile to, per engine dialect."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from fupin.engine.policy import load_policy
from fupin.engine.policy.compiler import aggregate_sql, compile_exit_plan, compile_expression
from fupin.engine.policy.scopes import household_scope

DIALECTS = ("duckdb", "spark")


def compiled(criterion: str, part: str = "expression") -> tuple[str, list[tuple[str, str]]]:
    policy = load_policy("yunnan-2017")
    c = policy.criterion("household", criterion)
    tree = c.tree if part == "expression" else c.applies_tree
    assert tree is not None
    sql, aggregates = compile_expression(tree, household_scope(), policy.values())
    return sql, aggregates  # type: ignore[return-value]


@pytest.mark.parametrize("dialect", DIALECTS)
class TestGoldenSql:
    def test_parameters_become_literals(self, dialect: str) -> None:
        tree, aggregates = compiled("income")
        assert tree.sql(dialect=dialect) == "per_capita_net_income >= 3200"  # type: ignore[attr-defined]
        assert aggregates == []

    def test_division_is_in_floating_point_and_safe_from_zero(self, dialect: str) -> None:
        tree, _ = compiled("income_after_schooling")
        assert tree.sql(dialect=dialect) == (  # type: ignore[attr-defined]
            "CAST((net_income - education_burden) AS DOUBLE) / NULLIF(member_count, 0) >= 3200"
        )

    def test_list_membership_is_the_only_first_last_or_a_middle_item(self, dialect: str) -> None:
        tree, _ = compiled("income_after_schooling", "applies_when")
        assert tree.sql(dialect=dialect) == (  # type: ignore[attr-defined]
            "main_cause = '因学' OR COALESCE((other_causes = '因学' OR other_causes LIKE '因学;%'"
            " OR other_causes LIKE '%;因学' OR other_causes LIKE '%;因学;%'), FALSE)"
        )

    def test_all_members_ranks_false_unknown_true_and_takes_the_least(self, dialect: str) -> None:
        tree, aggregates = compiled("medical_insurance")
        assert tree.sql(dialect=dialect) == "fupin_a0"  # type: ignore[attr-defined]
        [(alias, kind, inner)] = aggregates  # type: ignore[misc]
        assert (alias, kind) == ("fupin_a0", "all")
        assert aggregate_sql(kind, inner).sql(dialect=dialect) == (
            "CASE MIN(COALESCE(CAST((medical_insured = TRUE) AS INT) * 2, 1))"
            " WHEN 2 THEN TRUE WHEN 0 THEN FALSE END"
        )

    def test_age_is_counted_in_full_years_on_the_as_of_date(self, dialect: str) -> None:
        plan = compile_exit_plan(load_policy("yunnan-2017"), dt.date(2017, 12, 31)).plan
        assert plan.step("fupin_member_rows").sql(dialect) == (
            "SELECT *, 2017 - YEAR(birth_date) - CASE WHEN MONTH(birth_date) * 100 + DAY(birth_date)"
            " > 1231 THEN 1 ELSE 0 END AS age FROM members"
        )

    def test_a_criterion_that_may_not_apply_is_not_applies_or_expression(
        self, dialect: str
    ) -> None:
        plan = compile_exit_plan(load_policy("yunnan-2017"), dt.date(2017, 12, 31)).plan
        sql = plan.step("fupin_household_criteria").sql(dialect)
        assert (
            "NOT (relocated = TRUE) OR (relocation_self_funds <= 10000 AND housing_debt <= 0)"
            " AS c_relocation_funds"
        ) in sql


def test_the_compiled_plan_runs_on_an_empty_duckdb_data_set(tmp_path: Path) -> None:
    from fupin.engine.dataset import open_dataset
    from fupin.engine.duckdb_executor import DuckDBExecutor
    from fupin.engine.exit_evaluation import _ensure_county_facts
    from fupin.engine.sql_plan import run_plan

    con = duckdb.connect()
    open_dataset(tmp_path, con=con)
    _ensure_county_facts(con, None)
    plan = compile_exit_plan(load_policy("yunnan-2017"), dt.date(2017, 12, 31)).plan
    outputs = run_plan(DuckDBExecutor(con), plan)
    assert {name: table.num_rows for name, table in outputs.items()} == {
        "households": 0,
        "villages": 0,
        "counties": 0,
    }


# member truths -> all_members, any_member, count_members (Kleene's logic over the members)
THREE_VALUED = [
    ([True, True], True, True, 2),
    ([True, False], False, True, 1),
    ([True, None], None, True, 1),
    ([False, None], False, None, 0),
    ([None], None, None, 0),
    ([False], False, False, 0),
]


@pytest.mark.parametrize(("values", "all_", "any_", "count"), THREE_VALUED)
def test_member_aggregates_follow_three_valued_logic(
    values: list[bool | None], all_: bool | None, any_: bool | None, count: int
) -> None:
    from sqlglot import exp

    e = exp.column("v")
    sql = ", ".join(
        aggregate_sql(kind, e).sql(dialect="duckdb")
        for kind in ("all", "any", "count")  # type: ignore[arg-type]
    )
    rows = ", ".join(f"({'NULL' if v is None else v})" for v in values)
    [result] = duckdb.sql(f"SELECT {sql} FROM (VALUES {rows}) AS t(v)").fetchall()
    assert result == (all_, any_, count)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("因学", True),
        ("因学;因病", True),
        ("因病;因学", True),
        ("因病;因学;缺技术", True),
        ("因病", False),
        ("因病;缺技术", False),
        ("", False),
        (None, False),
    ],
)
def test_list_membership_matches_whole_items_only(value: str | None, expected: bool) -> None:
    tree, _ = compiled("income_after_schooling", "applies_when")
    sql = tree.sql(dialect="duckdb")  # type: ignore[attr-defined]
    [(result,)] = duckdb.execute(
        f"SELECT {sql} FROM (SELECT '缺资金' AS main_cause, ?::VARCHAR AS other_causes)", [value]
    ).fetchall()
    assert result is expected


@pytest.mark.parametrize(
    ("value", "arrow_type", "text"),
    [
        (2950, "float64", "2,950"),
        (2950.5, "float64", "2,950.50"),
        (1234567.891, "float64", "1,234,567.89"),
        (200.125, "float64", "200.13"),  # half away from zero, as DuckDB's ROUND
        (-1234.565, "float64", "-1,234.57"),
        (-0.004, "float64", "0"),  # not '-0'
        (0.995, "float64", "1"),
        (None, "float64", "空"),
        (12542, "decimal", "12,542"),
        (694.5, "decimal", "694.50"),
        (3, "int64", "3"),
        (999, "int64", "999"),  # counts below a thousand are cast, above it formatted
        (1000, "int64", "1,000"),
        (-999, "int64", "-999"),
        (-1000, "int64", "-1,000"),
        (None, "int64", "空"),
        (12000, "int64", "12,000"),
    ],
)
def test_gap_sentences_write_numbers_with_separators_and_cents(
    value: float | None, arrow_type: str, text: str
) -> None:
    """The number in a gap sentence: 2,950 or 2,950.50, rounded to cents; 空 when missing."""
    import pyarrow as pa

    from fupin.engine.exit_evaluation import _duckdb_kinds, _format_column

    types = {"float64": pa.float64(), "decimal": pa.decimal128(18, 2), "int64": pa.int64()}
    table = pa.table({"v": pa.array([value], pa.float64()).cast(types[arrow_type])})
    con = duckdb.connect()
    con.register("t", table)
    kind = _duckdb_kinds(con.sql("SELECT * FROM t"))["v"]
    assert kind == {"int64": "count"}.get(arrow_type, "amount")
    sql = _format_column("v", kind).sql(dialect="duckdb")
    [(result,)] = con.execute(f"SELECT {sql} FROM t").fetchall()
    assert result == text


def _plan_aggregates(truths: int) -> tuple[str, list[str]]:
    """The plan's aggregation (flags folded by BIT_OR, counts) and the parent's columns for
    `truths` all/any pairs over v and one count, on a table t(g, v) with parents p(g)."""
    from sqlglot import exp

    from fupin.engine.policy.compiler import (
        LevelCompiler,
        _aggregate_columns,
        _aggregate_defaults,
    )
    from fupin.engine.policy.scopes import member_scope

    level = LevelCompiler(member_scope(), {}, "fupin_x")
    aliases = []
    for n in range(truths):
        # the same v, made distinct expressions so that each takes its own pair of bits
        inner = exp.or_(
            exp.column("v"), exp.EQ(this=exp.Literal.number(n), expression=exp.Literal.number(-1))
        )
        for kind in ("all", "any"):
            level.aggregates.append((f"fupin_x{len(level.aggregates)}", kind, inner))  # type: ignore[arg-type]
            aliases.append(level.aggregates[-1][0])
    level.aggregates.append(("fupin_xcount", "count", exp.column("v")))
    aliases.append("fupin_xcount")
    agg = ", ".join(e.sql(dialect="duckdb") for e in _aggregate_columns(level))
    parent = ", ".join(e.sql(dialect="duckdb") for e in _aggregate_defaults(level, "a"))
    sql = (
        f"WITH a AS (SELECT g, {agg} FROM t GROUP BY g) "
        f"SELECT p.g, {parent} FROM p LEFT JOIN a ON p.g = a.g ORDER BY p.g"
    )
    return sql, aliases


@pytest.mark.parametrize(
    ("values", "all_", "any_", "count"),
    # and no members: all over nothing is true, any false, count 0
    [*THREE_VALUED, ([], True, False, 0)],
)
def test_the_plan_folds_member_aggregates_into_bits_with_three_valued_logic(
    values: list[bool | None], all_: bool | None, any_: bool | None, count: int
) -> None:
    """40 all/any pairs (80 aggregates): more than one BIGINT of flags, every bit read back."""
    sql, aliases = _plan_aggregates(40)
    con = duckdb.connect()
    con.execute("CREATE TABLE p AS SELECT 1 AS g")
    con.execute("CREATE TABLE t (g INTEGER, v BOOLEAN)")
    for v in values:
        con.execute("INSERT INTO t VALUES (1, ?)", [v])
    cursor = con.execute(sql)
    [row] = cursor.fetchall()
    got = dict(zip([d[0] for d in cursor.description or []], row, strict=True))
    assert sorted(got) == sorted(["g", *aliases])
    assert got.pop("fupin_xcount") == count
    assert "fupin_x_flags2" in sql  # 80 aggregates, 31 a BIGINT: three flags columns
    for n in range(40):
        assert (got[f"fupin_x{2 * n}"], got[f"fupin_x{2 * n + 1}"]) == (all_, any_)

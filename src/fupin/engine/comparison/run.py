"""Running a comparison: match every roster, build the facts the rules see, run the rules.

    con = open_dataset(registry)
    load_rosters(con, import_rosters(rosters_dir))
    result = compare(con, as_of=dt.date(2017, 12, 31), rules=load_rules("compare-yunnan-2017"))
    write_outputs(result, out_dir)   # findings.csv, summary.json, review.csv

Everything runs as SQL on the DuckDB connection; Python only assembles the statements.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from fupin.engine import idcard
from fupin.engine.comparison.matching import (
    MatchSettings,
    MatchStats,
    id_valid_sql,
    match_roster,
    prepare_registry,
)
from fupin.engine.comparison.rules import (
    HOUSEHOLD_OF_MEMBER,
    Rule,
    RuleSet,
    household_scope,
    member_scope,
    scope_of,
)
from fupin.engine.policy.compiler import LevelCompiler, aggregate_sql, empty_value
from fupin.engine.standard_format import MEMBERS, ROSTER_TABLES

__all__ = ["FINDING_COLUMNS", "ComparisonResult", "compare", "write_outputs"]

DIALECT = "duckdb"

# findings.csv, in this order
FINDING_COLUMNS = (
    "finding_id",
    "finding_name",
    "severity",
    "kind",
    "household_id",
    "id_number",
    "name",
    "region_code",
    "roster",
    "match_method",
    "match_probability",
    "detail",
    "source",
)

ROSTER_LABELS = {t.name: t.label for t in ROSTER_TABLES}


@dataclass
class ComparisonResult:
    as_of: dt.date
    rules: RuleSet
    findings: pa.Table
    review: pa.Table
    matches: dict[str, MatchStats] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # Chinese notes on rules not run
    members: int = 0
    households: int = 0

    def summary(self) -> dict[str, Any]:
        rows = self.findings.to_pylist()
        by_finding = Counter(r["finding_id"] for r in rows)
        by_region: dict[str, Counter[str]] = defaultdict(Counter)
        for r in rows:
            by_region[r["region_code"] or ""][r["finding_id"]] += 1
        by_method = Counter(r["match_method"] or "none" for r in rows)
        return {
            "rules": self.rules.id,
            "as_of": self.as_of.isoformat(),
            "registry": {"members": self.members, "households": self.households},
            "findings": len(rows),
            "by_finding": {i: by_finding.get(i, 0) for i in self.rules.rule_ids()},
            "by_region": {k: dict(sorted(v.items())) for k, v in sorted(by_region.items())},
            "by_match_method": dict(sorted(by_method.items())),
            "rosters": {name: s.as_dict() for name, s in self.matches.items()},
            "review": self.review.num_rows,
            "skipped": self.skipped,
        }


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    rows = con.execute(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchall()
    return bool(rows[0][0])


def compare(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: dt.date,
    rules: RuleSet,
    settings: MatchSettings | None = None,
) -> ComparisonResult:
    """Match the rosters present in `con` to its registry and run `rules`."""
    members = prepare_registry(con, as_of)
    present = [t.name for t in ROSTER_TABLES if _exists(con, t.name)]
    matches = {name: match_roster(con, name, settings) for name in present}
    _member_facts(con, as_of, present)
    _household_facts(con, as_of, present)
    for name in present:
        _roster_facts(con, name)
    params = rules.values()
    selects: list[str] = []
    skipped: list[str] = []
    for order, rule in enumerate(rules.rules):
        if rule.scope == "roster":
            targets = [r for r in rule.rosters if r in present]
            if not targets:
                skipped.append(f"{rule.id}（{rule.name}）：未提供{_labels(rule.rosters)}，未检查")
            for roster in targets:
                selects.append(_rule_sql(con, rule, order, params, roster))
            continue
        missing = [r for r in rule.rosters if r not in present]
        if missing:
            skipped.append(f"{rule.id}（{rule.name}）：未提供{_labels(missing)}，未检查")
            continue
        selects.append(_rule_sql(con, rule, order, params, rule.roster or None))
    columns = ", ".join(FINDING_COLUMNS)
    if selects:
        union = " UNION ALL ".join(f"({s})" for s in selects)
        sql = (
            f"SELECT {columns} FROM ({union}) ORDER BY rule_order, region_code, household_id, "
            "id_number, roster, roster_row"
        )
    else:
        sql = f"SELECT {', '.join(f'NULL::VARCHAR AS {c}' for c in FINDING_COLUMNS)} WHERE FALSE"
    findings = con.sql(sql).to_arrow_table()
    findings = findings.cast(
        pa.schema(
            [
                pa.field(c, pa.float64() if c == "match_probability" else pa.string())
                for c in FINDING_COLUMNS
            ]
        )
    )
    households = con.execute("SELECT COUNT(*) FROM households").fetchall()[0][0]
    return ComparisonResult(
        as_of=as_of,
        rules=rules,
        findings=findings,
        review=_review(con, present),
        matches=matches,
        skipped=skipped,
        members=members,
        households=int(households),
    )


def _labels(rosters: tuple[str, ...] | list[str]) -> str:
    return "、".join(f"{ROSTER_LABELS[r]}（{r}.csv）" for r in rosters)


# --- facts ------------------------------------------------------------------------------------


def _roster_member_columns(present: list[str], as_of: dt.date) -> tuple[list[str], list[str]]:
    """Per-member columns derived from each roster (joins, select items); NULL for an absent
    roster (its rules are skipped)."""
    year = as_of.year
    specs: dict[str, tuple[str, list[tuple[str, str]]]] = {
        "roster_students": (
            "TRUE",
            [
                ("student_listed", "TRUE"),
                (
                    "student_enrolment",
                    "CASE MAX(CASE r.enrolment WHEN '在读' THEN 4 WHEN '送教上门' THEN 3 "
                    "WHEN '休学' THEN 2 WHEN '辍学' THEN 1 ELSE 0 END) WHEN 4 THEN '在读' "
                    "WHEN 3 THEN '送教上门' WHEN 2 THEN '休学' WHEN 1 THEN '辍学' END",
                ),
            ],
        ),
        "roster_medical": (
            f"r.year IS NULL OR r.year = {year}",
            [("medical_listed", "TRUE"), ("medical_basic", "BOOL_OR(r.basic)")],
        ),
        "roster_pension": (
            f"r.year IS NULL OR r.year = {year}",
            [("pension_listed", "TRUE"), ("pension_status", "MAX(r.status)")],
        ),
        "roster_civil": ("TRUE", [("civil_listed", "TRUE"), ("civil_kind", "MAX(r.kind)")]),
        "roster_disabled": (
            "TRUE",
            [("disabled_listed", "TRUE"), ("disabled_grade", "MIN(r.grade)")],
        ),
        "roster_housing": ("TRUE", [("housing_roster_grade", "MAX(r.grade)")]),
        "roster_vehicles": ("TRUE", [("vehicle_count", "COUNT(*)")]),
        "roster_business": (
            "TRUE",
            [
                ("business_count", "COUNT(*)"),
                ("business_capital_total", "SUM(r.registered_capital)"),
            ],
        ),
        "roster_public_employees": ("TRUE", [("public_employee", "TRUE")]),
    }
    defaults = {
        "student_listed": "FALSE",
        "medical_listed": "FALSE",
        "pension_listed": "FALSE",
        "civil_listed": "FALSE",
        "disabled_listed": "FALSE",
        "vehicle_count": "0",
        "business_count": "0",
        "public_employee": "FALSE",
    }
    joins: list[str] = []
    items: list[str] = []
    for roster, (where, columns) in specs.items():
        alias = f"j_{roster}"
        if roster in present:
            aggregates = ", ".join(f"{sql} AS {name}" for name, sql in columns)
            joins.append(
                f"LEFT JOIN (SELECT x.member_key, {aggregates} FROM match_{roster} x "
                f"JOIN {roster} r ON r.row_number = x.row_number WHERE {where} "
                f"GROUP BY x.member_key) {alias} ON {alias}.member_key = m.member_key"
            )
            for name, _ in columns:
                default = defaults.get(name)
                value = f"{alias}.{name}"
                items.append(
                    f"COALESCE({value}, {default}) AS {name}" if default else f"{value} AS {name}"
                )
        else:
            items.extend(f"NULL AS {name}" for name, _ in columns)
    return joins, items


def _member_facts(con: duckdb.DuckDBPyConnection, as_of: dt.date, present: list[str]) -> None:
    invalid = con.execute(
        f"SELECT member_key, id_number FROM cmp_members WHERE NOT {id_valid_sql('id_norm')}"
    ).fetchall()
    problems = pa.table(
        {
            "member_key": pa.array([k for k, _ in invalid], pa.int64()),
            "id_problem": pa.array([idcard.explain(n or "") for _, n in invalid], pa.string()),
        }
    )
    con.register("_cmp_id_problems", problems)
    joins, items = _roster_member_columns(present, as_of)
    member_fields = ", ".join(f"m.{_q(f.name)}" for f in MEMBERS.fields)
    household_fields = ", ".join(
        f"h.{_q(f.name[len('household_') :])} AS {_q(f.name)}" for f in HOUSEHOLD_OF_MEMBER
    )
    passed = f"CASE WHEN MONTH(m.birth_date) * 100 + DAY(m.birth_date) > {as_of.month * 100 + as_of.day} THEN 1 ELSE 0 END"
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE cmp_member_facts AS
            SELECT m.member_key, {member_fields},
                   {as_of.year} - YEAR(m.birth_date) - {passed} AS age,
                   p.member_key IS NULL AS id_valid, p.id_problem, {as_of.year} AS as_of_year,
                   {household_fields},
                   {", ".join(items)}
            FROM cmp_members m
            LEFT JOIN households h ON h.household_id = m.household_id
            LEFT JOIN _cmp_id_problems p ON p.member_key = m.member_key
            {" ".join(joins)}
            """
        )
    finally:
        con.unregister("_cmp_id_problems")


def _household_facts(con: duckdb.DuckDBPyConnection, as_of: dt.date, present: list[str]) -> None:
    net = "(h.wage_income + h.business_income - h.business_expense + h.property_income + h.transfer_income)"
    head_civil = "FALSE"
    if "roster_civil" in present:
        head_civil = (
            "EXISTS (SELECT 1 FROM roster_civil c WHERE "
            "UPPER(TRIM(c.household_head_id)) = UPPER(TRIM(h.head_id_number)))"
        )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE cmp_household_facts AS
        SELECT h.*,
               COALESCE(a.member_count, 0) AS member_count,
               {net} AS net_income,
               CAST({net} AS DOUBLE) / NULLIF(COALESCE(a.member_count, 0), 0) AS per_capita_net_income,
               {as_of.year} AS as_of_year,
               CASE WHEN h.helper_name IS NOT NULL
                    THEN COUNT(*) OVER (PARTITION BY h.helper_name) END AS helper_household_count,
               COALESCE(a.civil_listed, FALSE) OR {head_civil} AS civil_listed,
               a.civil_kind,
               a.housing_roster_grade
        FROM households h
        LEFT JOIN (
            SELECT household_id, COUNT(*) AS member_count, BOOL_OR(civil_listed) AS civil_listed,
                   MAX(civil_kind) AS civil_kind, MAX(housing_roster_grade) AS housing_roster_grade
            FROM cmp_member_facts GROUP BY household_id
        ) a ON a.household_id = h.household_id
        """
    )
    if "roster_civil" in present:  # a household listed only through its head's ID
        con.execute(
            """
            UPDATE cmp_household_facts f SET civil_kind = c.kind
            FROM (SELECT UPPER(TRIM(household_head_id)) AS head, MAX(kind) AS kind
                  FROM roster_civil GROUP BY 1) c
            WHERE f.civil_kind IS NULL AND c.head = UPPER(TRIM(f.head_id_number))
            """
        )


def _roster_facts(con: duckdb.DuckDBPyConnection, roster: str) -> None:
    household_fields = ", ".join(f"f.{_q(f.name)}" for f in HOUSEHOLD_OF_MEMBER)
    own = "UPPER(REPLACE(TRIM(r.id_number), ' ', ''))"
    if roster == "roster_civil":
        head = "NULLIF(UPPER(REPLACE(TRIM(r.household_head_id), ' ', '')), '')"
        civil = f"""
            ({head} IS NULL OR {head} = {own}) AS is_head,
            (EXISTS (SELECT 1 FROM cmp_members c WHERE c.id_norm = COALESCE({head}, {own}))
             OR (({head} IS NULL OR {head} = {own}) AND x.member_key IS NOT NULL)) AS head_in_registry
        """
    else:
        civil = "NULL::BOOLEAN AS is_head, NULL::BOOLEAN AS head_in_registry"
    # A valid ID's first six digits are the county of 户籍 registration (GB 11643, GB/T 2260):
    # the region a finding on a row without a registry household is reported under, when the
    # registry has that county. An invalid ID's digits may be the wrong ones, so it gets none.
    id_region = f"""
        LEFT JOIN regions g ON r.id_valid AND REGEXP_FULL_MATCH(SUBSTR({own}, 1, 6), '[0-9]{{6}}')
            AND g.code = SUBSTR({own}, 1, 6) || '000000'
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE cmp_facts_{roster} AS
        SELECT r.*, g.code AS id_region_code, g.name AS id_region_name,
               x.member_key, x.member_key IS NOT NULL AS matched,
               x.method AS match_method, x.match_probability,
               f.name AS member_name, f.id_number AS member_id_number, f.age AS member_age,
               f.relation AS member_relation, f.health AS member_health,
               f.household_id AS member_household_id,
               {household_fields},
               {civil}
        FROM {roster} r
        LEFT JOIN match_{roster} x ON x.row_number = r.row_number
        LEFT JOIN cmp_member_facts f ON f.member_key = x.member_key
        {id_region}
        """
    )


# --- rules ------------------------------------------------------------------------------------


def _format(con: duckdb.DuckDBPyConnection, value_sql: str, source: str) -> str:
    """SQL turning one detail value into Chinese text: numbers without needless decimals,
    booleans 是/否, unknown 空."""
    kind = con.execute(f"SELECT typeof({value_sql}) FROM {source} LIMIT 1").fetchall()
    type_name = kind[0][0].upper() if kind else "VARCHAR"
    v = f"({value_sql})"
    if type_name == "BOOLEAN":
        text = f"CASE WHEN {v} THEN '是' ELSE '否' END"
    elif type_name.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")):
        text = (
            f"CASE WHEN ROUND(CAST({v} AS DOUBLE), 2) = ROUND(CAST({v} AS DOUBLE)) "
            f"THEN CAST(CAST(ROUND(CAST({v} AS DOUBLE)) AS BIGINT) AS VARCHAR) "
            f"ELSE CAST(ROUND(CAST({v} AS DOUBLE), 2) AS VARCHAR) END"
        )
    else:
        text = f"CAST({v} AS VARCHAR)"
    return f"COALESCE({text}, '空')"


def _rule_sql(
    con: duckdb.DuckDBPyConnection,
    rule: Rule,
    order: int,
    params: dict[str, Any],
    roster: str | None,
) -> str:
    scope = scope_of(rule.scope, rule.rosters)
    child = LevelCompiler(member_scope(), params, "fupin_c") if rule.scope == "household" else None
    level = LevelCompiler(
        scope if rule.scope != "household" else household_scope(), params, "fupin_a", child
    )
    condition = level.compile(rule.tree).sql(dialect=DIALECT)
    parts: list[str] = []
    compiled_parts: list[tuple[bool, str]] = []
    for part in rule.detail_parts:
        if isinstance(part, str):
            compiled_parts.append((True, part))
        else:
            compiled_parts.append((False, level.compile(part).sql(dialect=DIALECT)))
    if rule.scope == "household":
        aggregates = ", ".join(
            f"{aggregate_sql(kind, inner).sql(dialect=DIALECT)} AS {alias}"
            for alias, kind, inner in level.aggregates
        )
        defaults = ", ".join(
            f"CASE WHEN a.household_id IS NULL THEN {empty_value(kind).sql(dialect=DIALECT)} "
            f"ELSE a.{alias} END AS {alias}"
            for alias, kind, _ in level.aggregates
        )
        source = "cmp_household_facts"
        if aggregates:
            source = (
                f"(SELECT f.*, {defaults} FROM cmp_household_facts f LEFT JOIN "
                f"(SELECT household_id, {aggregates} FROM cmp_member_facts GROUP BY household_id) a "
                f"ON a.household_id = f.household_id)"
            )
    elif rule.scope == "member":
        source = "cmp_member_facts"
    else:
        source = f"cmp_facts_{roster}"
    source_alias = f"{source} AS s" if not source.startswith("(") else f"{source} s"
    for literal, text in compiled_parts:
        parts.append(_lit(text) if literal else _format(con, text, f"{source_alias}"))
    detail = " || ".join(parts) if parts else "''"
    roster_sql = _lit(roster) if roster else "NULL"
    head = (
        f"SELECT {order} AS rule_order, {_lit(rule.id)} AS finding_id, {_lit(rule.name)} AS finding_name, "
        f"{_lit(rule.severity)} AS severity, {_lit(rule.kind)} AS kind, "
        f"{roster_sql} AS roster, {_lit(str(rule.source))} AS source, "
    )
    where = f"WHERE ({condition}) IS TRUE"
    if rule.scope == "member":
        match = ""
        match_items = "NULL AS match_method, NULL::DOUBLE AS match_probability"
        if roster:
            match = (
                f"LEFT JOIN (SELECT member_key, ARG_MAX(method, match_probability) AS method, "
                f"MAX(match_probability) AS probability FROM match_{roster} GROUP BY member_key) mm "
                f"ON mm.member_key = s.member_key"
            )
            match_items = "mm.method AS match_method, mm.probability AS match_probability"
        return (
            f"{head} s.household_id, s.id_number, s.name, s.household_region_code AS region_code, "
            f"{match_items}, {detail} AS detail, NULL::BIGINT AS roster_row "
            f"FROM {source_alias} {match} {where}"
        )
    if rule.scope == "household":
        match = ""
        match_items = "NULL AS match_method, NULL::DOUBLE AS match_probability"
        if roster:
            match = (
                f"LEFT JOIN (SELECT f.household_id, ARG_MAX(x.method, x.match_probability) AS method, "
                f"MAX(x.match_probability) AS probability FROM match_{roster} x "
                f"JOIN cmp_member_facts f ON f.member_key = x.member_key GROUP BY f.household_id) mm "
                f"ON mm.household_id = s.household_id"
            )
            match_items = "mm.method AS match_method, mm.probability AS match_probability"
        return (
            f"{head} s.household_id, s.head_id_number AS id_number, s.head_name AS name, "
            f"s.region_code, {match_items}, {detail} AS detail, NULL::BIGINT AS roster_row "
            f"FROM {source_alias} {match} {where}"
        )
    # a row with no registry household is reported under the county of its ID (see
    # _roster_facts), and the detail says so
    by_id = "s.household_region_code IS NULL AND s.id_region_code IS NOT NULL"
    detail = (
        f"{detail} || CASE WHEN {by_id} THEN '（按身份证号前六位归属到' || s.id_region_name || '）' "
        "ELSE '' END"
    )
    return (
        f"{head} s.member_household_id AS household_id, s.id_number, s.name, "
        f"COALESCE(s.household_region_code, s.id_region_code) AS region_code, s.match_method, "
        f"s.match_probability, {detail} AS detail, s.row_number AS roster_row "
        f"FROM {source_alias} {where}"
    )


def _review(con: duckdb.DuckDBPyConnection, present: list[str]) -> pa.Table:
    selects = [
        f"""SELECT {_lit(r)} AS roster, v.row_number, r.id_number AS roster_id_number,
                   r.name AS roster_name, CAST(r.birth_date AS VARCHAR) AS roster_birth_date,
                   m.household_id, m.id_number, m.name, CAST(m.birth_date AS VARCHAR) AS birth_date,
                   m.region_code, v.match_probability
            FROM review_{r} v JOIN {r} r ON r.row_number = v.row_number
            JOIN cmp_members m ON m.member_key = v.member_key"""
        for r in present
    ]
    if not selects:
        return pa.table({"roster": pa.array([], pa.string())})
    return con.sql(
        " UNION ALL ".join(f"({s})" for s in selects) + " ORDER BY roster, row_number"
    ).to_arrow_table()


# --- outputs ----------------------------------------------------------------------------------


def write_outputs(result: ComparisonResult, out_dir: Path) -> dict[str, Path]:
    """findings.csv, review.csv (UTF-8 with BOM, so Excel reads the Chinese) and summary.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "findings": out_dir / "findings.csv",
        "review": out_dir / "review.csv",
        "summary": out_dir / "summary.json",
    }
    for key in ("findings", "review"):
        table = result.findings if key == "findings" else result.review
        with paths[key].open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.column_names)
            for row in table.to_pylist():
                writer.writerow(["" if v is None else v for v in row.values()])
    paths["summary"].write_text(
        json.dumps(result.summary(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return paths

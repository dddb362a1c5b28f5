"""Monitoring rules, stability scores and exit counts over a data set in DuckDB.

Works on any connection holding the typed tables `households`, `members` and `measures` of the
standard format (what `open_dataset` gives for a CSV folder, a workbook or a snapshot, and what
the site builds from the registry's current rows). Every rule and every score is one SQL query
over all households; nothing loops over households in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from fupin.engine.monitoring.expressions import HOUSEHOLD_FIELDS, compile_sql, referenced_fields
from fupin.engine.monitoring.policy import MonitoringPolicy

FRAME = "monitoring_households"
MEMBER_FRAME = "member_frame"

_WORKING = "('乡内务工', '县内务工', '县外省内务工', '省外务工')"


def _has(column: str, value: str) -> str:
    return f"list_contains(string_split(coalesce({column}, ''), ';'), '{value}')"


def region_prefix(code: str) -> str:
    """The prefix shared by every code in the subtree of a 12-digit region code."""
    code = code.strip()
    for length in (2, 4, 6, 9):
        if code[length:].strip("0") == "":
            return code[:length]
    return code


def prepare(con: duckdb.DuckDBPyConnection, *, as_of: dt.date, active_measure_years: int) -> None:
    """Create the views the rules and scores read: households with derived values, members."""
    since = as_of.year - max(active_measure_years, 1) + 1
    serious = f"({_has('health', '患有大病')} OR {_has('health', '残疾')})"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW {MEMBER_FRAME} AS
        SELECT *, CAST(date_part('year', age(DATE '{as_of.isoformat()}', birth_date)) AS BIGINT)
               AS age
        FROM members
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW {FRAME} AS
        WITH mc AS (
            SELECT household_id,
                   count(*) AS member_count,
                   count(*) FILTER (WHERE labor_ability IN ('普通劳动力', '技能劳动力')
                                    OR work_status IN {_WORKING}) AS earner_count,
                   count(*) FILTER (WHERE {serious}) AS serious_count,
                   count(*) FILTER (WHERE {_has("health", "长期慢性病")} AND NOT {serious})
                       AS chronic_count
            FROM members GROUP BY household_id
        ),
        ms AS (
            SELECT household_id, count(*) AS measure_count,
                   count(*) FILTER (WHERE year >= {since}) AS active_measure_count
            FROM measures GROUP BY household_id
        ),
        base AS (
            SELECT h.*,
                   coalesce(mc.member_count, 0) AS member_count,
                   coalesce(mc.earner_count, 0) AS earner_count,
                   coalesce(mc.serious_count, 0) AS serious_count,
                   coalesce(mc.chronic_count, 0) AS chronic_count,
                   coalesce(ms.measure_count, 0) AS measure_count,
                   coalesce(ms.active_measure_count, 0) AS active_measure_count,
                   CAST(h.wage_income + h.business_income - h.business_expense
                        + h.property_income + h.transfer_income AS DOUBLE) AS net_income
            FROM households h
            LEFT JOIN mc ON mc.household_id = h.household_id
            LEFT JOIN ms ON ms.household_id = h.household_id
        )
        SELECT *,
               CASE WHEN member_count > 0 THEN net_income / member_count END
                   AS per_capita_net_income,
               CASE WHEN net_income > 0 THEN CAST(transfer_income AS DOUBLE) / net_income END
                   AS transfer_share,
               CASE WHEN net_income > 0
                    THEN CAST(wage_income + business_income - business_expense AS DOUBLE)
                         / net_income END AS wage_business_share
        FROM base
        """
    )


@dataclass(frozen=True)
class RiskHit:
    """One household raised by one rule, with the values that raised it."""

    household_id: str
    region_code: str
    rule_id: str
    rule_name: str
    risk_type: str
    values: tuple[tuple[str, str], ...]  # (Chinese label, value) of the fields the rule reads

    def explanation(self) -> str:
        shown = "，".join(f"{label}：{value}" for label, value in self.values)
        return f"{self.rule_name}（{shown}）" if shown else self.rule_name


def _where(region: str | None, household_ids: list[str] | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if region:
        clauses.append("starts_with(h.region_code, ?)")
        params.append(region_prefix(region))
    if household_ids is not None:
        clauses.append("list_contains(?, h.household_id)")
        params.append(list(household_ids))
    return (" AND " + " AND ".join(clauses)) if clauses else "", params


def scan(
    con: duckdb.DuckDBPyConnection,
    policy: MonitoringPolicy,
    *,
    as_of: dt.date,
    region: str | None = None,
    rules: list[str] | None = None,
    baseline: duckdb.DuckDBPyConnection | None = None,
    baseline_as_of: dt.date | None = None,
) -> list[RiskHit]:
    """Every (household, rule) the monitoring rules raise, in household then rule order.

    With a `baseline` (the same kind of data set at an earlier date: last year's snapshot, the
    data before an update), only risks that are new since then are returned: a (household,
    rule) pair the rules already raised on the baseline is left out. This is what makes an
    illness, a disability or a drop in income *new*.
    """
    if baseline is not None:
        before = scan(baseline, policy, as_of=baseline_as_of or as_of, region=region, rules=rules)
        known = {(h.household_id, h.rule_id) for h in before}
        now = scan(con, policy, as_of=as_of, region=region, rules=rules)
        return [h for h in now if (h.household_id, h.rule_id) not in known]
    prepare(con, as_of=as_of, active_measure_years=int(policy.number("active_measure_years")))
    params = policy.values()
    parts: list[str] = []
    labels: dict[str, list[str]] = {}
    extra, bind = _where(region, None)
    selected = [r for r in policy.rules if rules is None or r.id in rules]
    all_bind: list[object] = []
    for order, rule in enumerate(selected):
        condition = compile_sql(rule.tree, params)
        fields = referenced_fields(rule.tree)
        labels[rule.id] = [HOUSEHOLD_FIELDS[f].label for f in fields]
        shown = ", ".join(f'CAST(h."{f}" AS VARCHAR)' for f in fields) or ""
        parts.append(
            f"SELECT h.household_id, h.region_code, {order} AS rule_order, "
            f"list_value({shown}) AS shown FROM {FRAME} AS h "
            f"WHERE coalesce(({condition}), false){extra}"
            if shown
            else f"SELECT h.household_id, h.region_code, {order} AS rule_order, "
            f"CAST([] AS VARCHAR[]) AS shown FROM {FRAME} AS h "
            f"WHERE coalesce(({condition}), false){extra}"
        )
        all_bind.extend(bind)
    if not parts:
        return []
    sql = " UNION ALL ".join(parts) + " ORDER BY household_id, rule_order"
    hits: list[RiskHit] = []
    for household_id, region_code, order, shown in con.execute(sql, all_bind).fetchall():
        rule = selected[order]
        values = tuple(
            (label, _show(v)) for label, v in zip(labels[rule.id], shown or [], strict=False)
        )
        hits.append(
            RiskHit(
                str(household_id),
                str(region_code),
                rule.id,
                rule.name,
                rule.risk_type,
                values,
            )
        )
    return hits


def _show(value: object) -> str:
    if value is None:
        return "空"
    text = str(value)
    if text in ("true", "false"):
        return "是" if text == "true" else "否"
    try:
        number = float(text)
    except ValueError:
        return text
    return f"{number:.2f}".rstrip("0").rstrip(".") if "." in text else text


# --- stability -----------------------------------------------------------------------------

DRIVERS = (
    ("income_margin", "收入高出扶贫标准的幅度", "stability_weight_income_margin"),
    ("wage_business", "工资性和生产经营性收入占比", "stability_weight_wage_business"),
    ("earners", "有劳动收入的人数", "stability_weight_earners"),
    ("health", "家庭成员健康状况", "stability_weight_health"),
    ("measures", "仍在实施的帮扶措施", "stability_weight_measures"),
)


@dataclass(frozen=True)
class Driver:
    id: str
    label: str
    value: float  # 0..1, 1 is most stable
    weight: float
    points: float  # contribution to the 0..100 score
    detail: str


@dataclass(frozen=True)
class Stability:
    household_id: str
    region_code: str
    score: float  # 0..100
    low: bool
    drivers: tuple[Driver, ...]

    def weakest(self) -> Driver:
        return min(self.drivers, key=lambda d: (d.value, -d.weight))


def stability_scores(
    con: duckdb.DuckDBPyConnection,
    policy: MonitoringPolicy,
    *,
    as_of: dt.date,
    region: str | None = None,
    household_ids: list[str] | None = None,
    statuses: tuple[str, ...] = ("已脱贫",),
) -> list[Stability]:
    """The stability score of each exited household with its drivers, least stable first."""
    prepare(con, as_of=as_of, active_measure_years=int(policy.number("active_measure_years")))
    line = policy.number("income_line")
    margin_full = policy.number("stability_income_margin_full")
    earners_full = policy.number("stability_earners_full")
    measures_full = policy.number("stability_measures_full")
    chronic = policy.number("stability_chronic_factor")
    weights = [policy.number(w) for _, _, w in DRIVERS]
    total = sum(weights) or 1.0
    extra, bind = _where(region, household_ids)
    sql = f"""
        SELECT household_id, region_code, per_capita_net_income, wage_business_share,
               earner_count, serious_count, chronic_count, member_count, active_measure_count,
               greatest(least(coalesce((per_capita_net_income - {line}) / {line * margin_full},
                                       0), 1), 0) AS v_income,
               greatest(least(coalesce(wage_business_share, 0), 1), 0) AS v_wage,
               least(earner_count / {earners_full}, 1) AS v_earners,
               CASE WHEN member_count > 0 THEN
                   1 - least((serious_count + {chronic} * chronic_count) / member_count, 1)
                   ELSE 0 END AS v_health,
               least(active_measure_count / {measures_full}, 1) AS v_measures
        FROM {FRAME} AS h
        WHERE list_contains(?, h.status){extra}
    """
    rows = con.execute(sql, [list(statuses), *bind]).fetchall()
    low = policy.number("stability_low")
    out: list[Stability] = []
    for row in rows:
        (hid, region_code, pcni, wb_share, earners, serious, chronic_n, members, active) = row[:9]
        values = [float(v) for v in row[9:]]
        details = (
            f"人均纯收入{_money(pcni)}元，扶贫标准{_money(line)}元"
            + (f"，为标准的{float(pcni) / line:.2f}倍" if pcni is not None else ""),
            f"工资性和生产经营性收入占纯收入{_percent(wb_share)}",
            f"有劳动收入{earners}人（满分点{earners_full:g}人）",
            f"家庭{members}人，大病或残疾{serious}人，长期慢性病{chronic_n}人",
            f"仍在实施的帮扶措施{active}项（满分点{measures_full:g}项）",
        )
        drivers = tuple(
            Driver(key, label, round(v, 4), w, round(100 * w * v / total, 1), detail)
            for (key, label, _), v, w, detail in zip(DRIVERS, values, weights, details, strict=True)
        )
        score = round(100 * sum(w * v for w, v in zip(weights, values, strict=True)) / total, 1)
        out.append(Stability(str(hid), str(region_code), score, score < low, drivers))
    out.sort(key=lambda s: (s.score, s.household_id))
    return out


def _money(value: object) -> str:
    return "未知" if value is None else f"{float(str(value)):,.0f}"


def _percent(value: object) -> str:
    return "未知（纯收入不为正）" if value is None else f"{100 * float(str(value)):.0f}%"


# --- exit counts for the return-to-poverty rate ---------------------------------------------


@dataclass(frozen=True)
class ExitCounts:
    exited_households: int  # currently 已脱贫
    exited_people: int
    returned_households: int  # currently 返贫 (they exited before)
    returned_people: int


def exit_counts(con: duckdb.DuckDBPyConnection, *, region: str | None = None) -> ExitCounts:
    """Households and people that are 已脱贫 and 返贫 in a data set (one query)."""
    extra, bind = _where(region, None)
    row = con.execute(
        f"""
        WITH mc AS (SELECT household_id, count(*) AS n FROM members GROUP BY household_id)
        SELECT count(*) FILTER (WHERE h.status = '已脱贫'),
               coalesce(sum(mc.n) FILTER (WHERE h.status = '已脱贫'), 0),
               count(*) FILTER (WHERE h.status = '返贫'),
               coalesce(sum(mc.n) FILTER (WHERE h.status = '返贫'), 0)
        FROM households h LEFT JOIN mc ON mc.household_id = h.household_id
        WHERE TRUE{extra}
        """,
        bind,
    ).fetchone()
    assert row is not None
    return ExitCounts(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

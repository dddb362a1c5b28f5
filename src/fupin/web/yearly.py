"""Figures per year for the year comparison (年度对比), read from the registry's history.

Each year is the registry as it stood at the end of that year (31 December), read from
RecordVersion with the rule `fupin freeze --as-of` uses (fupin.registry.freezing): the version
that began before the end of the day and had not ended by then. The current year is the
registry as it stands now (截至今日). Years before the history begins (the first import) have no
figures and are not shown.

Per year, in a region's subtree:
- households and people by 贫困状态 at the year's end (people are the members of those
  households at the year's end);
- 当年脱贫: households 已脱贫 at the year's end whose 脱贫年度 is that year;
- 当年新识别: households at the year's end whose 识别年度 is that year;
- 贫困发生率: stats.incidence of the 未脱贫 and 返贫 people over the 户籍人口 the region had at
  the year's end;
and the same for each child region, for the comparison year over year.

The history is only ever appended after its latest version (imports refuse an earlier effective
date), so a year that ended before the latest version can no longer change: its figures are
cached for good, the open years until the registry changes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.core.cache import cache
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from fupin.engine.standard_format import STATUSES
from fupin.registry import regions as codes
from fupin.registry.freezing import end_of_day
from fupin.registry.models import RecordVersion, Region
from fupin.registry.writing import db_datetime
from fupin.web.stats import POOR_STATUSES, child_level_digits, incidence

EXITED = "已脱贫"


HISTORY_TABLES = ("regions", "households", "members")  # what the figures are read from


def _edge(aggregate, *, before: dt.datetime | None = None) -> dt.datetime | None:
    """Min or Max of valid_from over the history tables, one (table, valid_from) index lookup
    each (over all tables at once the database would scan the whole history)."""
    found = []
    for table in HISTORY_TABLES:
        qs = RecordVersion.objects.filter(table=table)
        if before is not None:
            qs = qs.filter(valid_from__lt=before)
        value = qs.aggregate(x=aggregate("valid_from"))["x"]
        if value is not None:
            found.append(value)
    if not found:
        return None
    return min(found) if aggregate is Min else max(found)


def history_start() -> dt.date | None:
    first = _edge(Min)
    return timezone.localtime(first).date() if first is not None else None


def history_years() -> list[int]:
    """The years the history covers: from its first version's year to this year."""
    start = history_start()
    if start is None:
        return []
    return list(range(start.year, timezone.localdate().year + 1))


def year_moment(year: int) -> tuple[dt.datetime, dt.date, bool]:
    """The moment a year is read at, the date shown for it, and whether it is the current one."""
    today = timezone.localdate()
    if year >= today.year:
        return timezone.now(), today, True
    end = dt.date(year, 12, 31)
    return end_of_day(end), end, False


def year_figures(region: Region, year: int, *, memo: dict | None = None) -> dict:
    """The figures of one year in a region's subtree (see the module docstring), cached."""
    moment, as_of, current = year_moment(year)
    latest = _edge(Max)
    closed = not current and latest is not None and moment <= latest
    version = RecordVersion.objects.aggregate(v=Max("id"))["v"]
    key = f"fupin-web-year:{region.code}:{year}:" + ("closed" if closed else str(version))
    figures = cache.get(key)
    if figures is None:
        figures = _compute(region, year, moment, {} if memo is None else memo)
        figures.update(as_of=as_of, current=current)
        cache.set(key, figures, None if closed else 3600)
    return figures


def years_table(region: Region, years: list[int] | None = None) -> list[dict]:
    memo: dict = {}  # people by status, shared by the years the history did not change between
    return [
        year_figures(region, y, memo=memo)
        for y in (years if years is not None else history_years())
    ]


# ---- the queries -------------------------------------------------------------------------------


def _field(key: str, alias: str = "") -> str:
    """A field of a version's canonical values (the JSON text in RecordVersion.data)."""
    data = f"{alias}.data" if alias else "data"
    if connection.vendor == "postgresql":
        return f"({data}::jsonb ->> '{key}')"
    return f"json_extract({data}, '$.{key}')"


def _as_of(table: str, alias: str = "") -> tuple[str, list]:
    """Versions of a table valid at the end of a moment: the rule of fupin.registry.freezing.

    The parameters are the table's name; the caller adds the moment twice.
    """
    q = connection.ops.quote_name
    a = f"{alias}." if alias else ""
    sql = (
        f"{a}{q('table')} = %s AND {a}valid_from < %s "
        f"AND ({a}valid_to IS NULL OR {a}valid_to >= %s) AND NOT {a}deleted"
    )
    return sql, [table]


def _households_sql(moment: dt.datetime, low: str, high: str) -> tuple[str, list]:
    where, params = _as_of("households")
    region = _field("region_code")
    sql = (
        f"SELECT {connection.ops.quote_name('key')} AS hid, {region} AS region, "
        f"{_field('status')} AS status, {_field('exit_year')} AS exit_year, "
        f"{_field('identified_year')} AS identified_year "
        f"FROM registry_recordversion WHERE {where} AND {region} >= %s AND {region} <= %s"
    )
    return sql, [*params, moment, moment, low, high]


def _compute(region: Region, year: int, moment: dt.datetime, memo: dict) -> dict:
    low, high = codes.subtree_range(region.code)
    digits = child_level_digits(region) or 12
    households_sql, households_params = _households_sql(moment, low, high)
    y = str(year)
    # households by child region, status, 脱贫年度 and 识别年度: the same for every year the
    # history did not change between, so asked once per state of the history
    households_state = ("households", region.code, _edge_of("households", moment))
    if households_state not in memo:
        memo[households_state] = _fetch(
            f"SELECT SUBSTR(h.region, 1, {digits}), h.status, h.exit_year, h.identified_year, "
            f"COUNT(*) FROM ({households_sql}) h GROUP BY SUBSTR(h.region, 1, {digits}), "
            "h.status, h.exit_year, h.identified_year",
            households_params,
        )
    households: dict[str, Counter] = defaultdict(Counter)
    exited: Counter[str] = Counter()
    identified: Counter[str] = Counter()
    for child, status, exit_year, identified_year, n in memo[households_state]:
        child = _pad(child)
        households[child][status] += n
        if status == EXITED and exit_year == y:
            exited[child] += n
        if identified_year == y:
            identified[child] += n
    # people: the members at the year's end of the households above, by household status.
    # The expensive query (a lookup per member); years with no new household or member version
    # since the one before have the same answer, so it is asked once per state of the history.
    state = ("people", region.code, households_state[2], _edge_of("members", moment))
    if state not in memo:
        memo[state] = _people(region, moment, low, high, digits)
    rows = memo[state]
    people: dict[str, Counter] = defaultdict(Counter)
    for child, status, n in rows:
        people[_pad(child)][status] += n
    populations = _populations(region, moment)

    def summary(parts: list[str], population: int | None) -> dict:
        hh = sum((households[c] for c in parts), Counter())
        pp = sum((people[c] for c in parts), Counter())
        poor = sum(pp[s] for s in POOR_STATUSES)
        return {
            "households": sum(hh.values()),
            "people": sum(pp.values()),
            "by_status": [(s, hh[s], pp[s]) for s in STATUSES],
            "exited": sum(exited[c] for c in parts),
            "identified": sum(identified[c] for c in parts),
            "poor_households": sum(hh[s] for s in POOR_STATUSES),
            "poor_people": poor,
            "population": population,
            "incidence": incidence(poor, population),
        }

    children = {}
    if child_level_digits(region) is not None:
        for child in Region.objects.filter(parent=region).order_by("code"):
            children[child.code] = summary([child.code], populations.get(child.code))
    return {
        "year": year,
        **summary(list(households.keys() | people.keys()), populations.get(region.code)),
        "children": children,
    }


def _edge_of(table: str, moment: dt.datetime) -> dt.datetime | None:
    """The last change of a table before a moment: the state of the table at the moment."""
    found = RecordVersion.objects.filter(table=table, valid_from__lt=moment)
    return found.aggregate(x=Max("valid_from"))["x"]


def _people(region: Region, moment: dt.datetime, low: str, high: str, digits: int) -> list:
    """Members at the moment by their household's child region and status.

    Driven from the members (CROSS JOIN fixes that order on SQLite), each member's household
    version found through the (table, key, valid_from) index: one lookup per member.
    """
    members_where, members_params = _as_of("members", "m")
    households_where, households_where_params = _as_of("households", "h")
    h_region = _field("region_code", "h")
    child = f"SUBSTR({h_region}, 1, {digits})"
    return _fetch(
        f"SELECT {child}, {_field('status', 'h')}, COUNT(*) "
        "FROM registry_recordversion m CROSS JOIN registry_recordversion h "
        f"WHERE {members_where} AND {households_where} "
        f"AND h.{connection.ops.quote_name('key')} = {_field('household_id', 'm')} "
        f"AND {h_region} >= %s AND {h_region} <= %s "
        f"GROUP BY {child}, {_field('status', 'h')}",
        [
            *members_params,
            moment,
            moment,
            *households_where_params,
            moment,
            moment,
            low,
            high,
        ],
    )


def _pad(code: str | None) -> str:
    return (code or "").ljust(12, "0")


def _populations(region: Region, moment: dt.datetime) -> dict[str, int | None]:
    """户籍人口 of the region and its children as they stood at the moment."""
    where, params = _as_of("regions")
    q = connection.ops.quote_name
    wanted = [region.code, *Region.objects.filter(parent=region).values_list("code", flat=True)]
    marks = ", ".join(["%s"] * len(wanted))
    rows = _fetch(
        f"SELECT {q('key')}, {_field('population')} FROM registry_recordversion "
        f"WHERE {where} AND {q('key')} IN ({marks})",
        [*params, moment, moment, *wanted],
    )
    out: dict[str, int | None] = {}
    for code, text in rows:
        try:
            out[code] = int(text) if text not in (None, "") else None
        except (TypeError, ValueError):
            out[code] = None
    return out


def _fetch(sql: str, params: list) -> list[tuple]:
    params = [db_datetime(p) if isinstance(p, dt.datetime) else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# ---- the comparison of child regions, year over year -------------------------------------------


def change_in_points(this: float | None, last: float | None) -> float | None:
    """The change of a rate in percentage points (百分点), None when either year has none."""
    if this is None or last is None:
        return None
    return round(this - last, 2)


def children_comparison(region: Region, this: dict, last: dict | None) -> list[dict]:
    """Each child region's figures in a year and the year before, with the change in incidence."""
    out = []
    for child in Region.objects.filter(parent=region).order_by("code"):
        now = this["children"].get(child.code)
        before = (last or {}).get("children", {}).get(child.code)
        if now is None:
            continue
        out.append(
            {
                "region": child,
                "this": now,
                "last": before,
                "change": change_in_points(now["incidence"], before and before["incidence"]),
                "poor_change": now["poor_people"] - before["poor_people"] if before else None,
            }
        )
    return out

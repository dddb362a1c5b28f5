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
from fupin.web.stats import POOR_STATUSES, child_level_digits, incidence

EXITED = "已脱贫"


def history_years() -> list[int]:
    """The years the history covers: from its first version's year to this year."""
    first = RecordVersion.objects.aggregate(m=Min("valid_from"))["m"]
    if first is None:
        return []
    today = timezone.localdate()
    return list(range(timezone.localtime(first).year, today.year + 1))


def history_start() -> dt.date | None:
    first = RecordVersion.objects.aggregate(m=Min("valid_from"))["m"]
    return timezone.localtime(first).date() if first is not None else None


def year_moment(year: int) -> tuple[dt.datetime, dt.date, bool]:
    """The moment a year is read at, the date shown for it, and whether it is the current one."""
    today = timezone.localdate()
    if year >= today.year:
        return timezone.now(), today, True
    end = dt.date(year, 12, 31)
    return end_of_day(end), end, False


def year_figures(region: Region, year: int) -> dict:
    """The figures of one year in a region's subtree (see the module docstring), cached."""
    moment, as_of, current = year_moment(year)
    latest = RecordVersion.objects.aggregate(m=Max("valid_from"), v=Max("id"))
    closed = not current and latest["m"] is not None and moment <= latest["m"]
    key = f"fupin-web-year:{region.code}:{year}:" + ("closed" if closed else str(latest["v"]))
    figures = cache.get(key)
    if figures is None:
        figures = _compute(region, year, moment)
        figures.update(as_of=as_of, current=current)
        cache.set(key, figures, None if closed else 3600)
    return figures


def years_table(region: Region, years: list[int] | None = None) -> list[dict]:
    return [year_figures(region, y) for y in (years if years is not None else history_years())]


# ---- the queries -------------------------------------------------------------------------------


def _field(key: str) -> str:
    """A field of a version's canonical values (the JSON text in RecordVersion.data)."""
    if connection.vendor == "postgresql":
        return f"(data::jsonb ->> '{key}')"
    return f"json_extract(data, '$.{key}')"


def _as_of(table: str) -> tuple[str, list]:
    """Versions of a table valid at the end of a moment: the rule of fupin.registry.freezing."""
    q = connection.ops.quote_name
    sql = (
        f"{q('table')} = %s AND valid_from < %s AND (valid_to IS NULL OR valid_to >= %s) "
        "AND NOT deleted"
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


def _compute(region: Region, year: int, moment: dt.datetime) -> dict:
    low, high = codes.subtree_range(region.code)
    digits = child_level_digits(region) or 12
    households_sql, households_params = _households_sql(moment, low, high)
    y = str(year)
    # households by child region and status, with those exited and identified in the year
    rows = _fetch(
        f"SELECT SUBSTR(h.region, 1, {digits}) AS child, h.status, COUNT(*), "
        "SUM(CASE WHEN h.exit_year = %s THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN h.identified_year = %s THEN 1 ELSE 0 END) "
        f"FROM ({households_sql}) h GROUP BY SUBSTR(h.region, 1, {digits}), h.status",
        [y, y, *households_params],
    )
    households: dict[str, Counter] = defaultdict(Counter)
    exited: Counter[str] = Counter()
    identified: Counter[str] = Counter()
    for child, status, n, exited_n, identified_n in rows:
        child = _pad(child)
        households[child][status] += n
        if status == EXITED:
            exited[child] += int(exited_n or 0)
        identified[child] += int(identified_n or 0)
    # people: the members at the year's end of the households above, by household status
    members_where, members_params = _as_of("members")
    rows = _fetch(
        f"SELECT SUBSTR(h.region, 1, {digits}) AS child, h.status, COUNT(*) "
        f"FROM ({households_sql}) h JOIN (SELECT {_field('household_id')} AS hid "
        f"FROM registry_recordversion WHERE {members_where}) m ON m.hid = h.hid "
        f"GROUP BY SUBSTR(h.region, 1, {digits}), h.status",
        [*households_params, *members_params, moment, moment],
    )
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

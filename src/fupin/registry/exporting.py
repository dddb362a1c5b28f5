"""`fupin export`: the registry (or a region's subtree) back in the standard format.

Rows come from the current version of each record, which holds the canonical text of every
field, so an import followed by an export gives back the same values.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from django.db import connection

from fupin.engine.standard_format import Table
from fupin.registry import regions
from fupin.registry.canonical import TABLES, from_json

# How a current version reaches its region, for --region.
_REGION_JOIN = {
    "regions": ("", "v.key"),
    "households": ("JOIN registry_household h ON h.household_id = v.key", "h.region_code"),
    "members": (
        "JOIN registry_member m ON m.id_number = v.key "
        "JOIN registry_household h ON h.household_id = m.household_id",
        "h.region_code",
    ),
    "measures": (
        "JOIN registry_measure m ON m.record_key = v.key "
        "JOIN registry_household h ON h.household_id = m.household_id",
        "h.region_code",
    ),
    "villages": ("", "v.key"),
}


def current_rows(table: Table, region: str | None = None) -> Iterator[tuple[str, ...]]:
    join, region_column = _REGION_JOIN[table.name]
    sql = (
        f"SELECT v.data FROM registry_recordversion v {join} "
        "WHERE v.{table} = %s AND v.valid_to IS NULL AND NOT v.deleted"
    ).replace("{table}", connection.ops.quote_name("table"))
    params: list[object] = [table.name]
    if region:
        low, high = regions.subtree_range(region)
        if table.name == "regions":
            ancestors = _ancestors(region)
            marks = ", ".join(["%s"] * len(ancestors)) or "NULL"
            sql += f" AND (({region_column} >= %s AND {region_column} <= %s) OR v.key IN ({marks}))"
            params += [low, high, *ancestors]
        else:
            sql += f" AND {region_column} >= %s AND {region_column} <= %s"
            params += [low, high]
    sql += " ORDER BY v.key"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(10_000):
            for (data,) in batch:
                yield from_json(table, data)


def _ancestors(code: str) -> list[str]:
    out = []
    parent = regions.parent_code(code)
    while parent:
        out.append(parent)
        parent = regions.parent_code(parent)
    return out


def export_dataset(
    path: Path, *, region: str | None = None, chinese_headers: bool = False
) -> dict[str, int]:
    """Write a CSV folder, or an XLSX workbook when the path ends in .xlsx; return row counts."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return _export_xlsx(path, region, chinese_headers)
    path.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for table in TABLES:
        with (path / table.file_name).open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(_header(table, chinese_headers))
            n = 0
            for row in current_rows(table, region):
                writer.writerow(row)
                n += 1
        counts[table.name] = n
    return counts


def _header(table: Table, chinese: bool) -> list[str]:
    return [f.label if chinese else f.name for f in table.fields]


def _export_xlsx(path: Path, region: str | None, chinese_headers: bool) -> dict[str, int]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    counts: dict[str, int] = {}
    for table in TABLES:
        sheet = book.create_sheet(table.name)
        sheet.append(_header(table, chinese_headers))
        n = 0
        for row in current_rows(table, region):
            sheet.append(list(row))
            n += 1
        counts[table.name] = n
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return counts

"""Excel export of a household list in the standard format (re-importable as it is)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook

from fupin.registry import regions
from fupin.registry.canonical import TABLES
from fupin.registry.exporting import current_rows


def search_workbook(household_ids: Iterable[str], scope: str | None) -> bytes:
    """The households given (and their members, measures, regions, villages) as an XLSX."""
    wanted = set(household_ids)
    villages: set[str] = set()
    book = Workbook(write_only=True)
    sheets = {}
    rows_by_table: dict[str, list[tuple[str, ...]]] = {}
    for table in TABLES:
        names = table.field_names
        kept = []
        for row in current_rows(table, scope):
            values = dict(zip(names, row, strict=True))
            if table.name == "households":
                if values["household_id"] not in wanted:
                    continue
                villages.add(values["region_code"])
            elif table.name in ("members", "measures") and values["household_id"] not in wanted:
                continue
            kept.append(row)
        rows_by_table[table.name] = kept
    # regions: the villages of the households and their ancestors; villages: those villages
    needed = set()
    for code in villages:
        c: str | None = code
        while c:
            needed.add(c)
            c = regions.parent_code(c)
    rows_by_table["regions"] = [r for r in rows_by_table["regions"] if r[0] in needed]
    rows_by_table["villages"] = [r for r in rows_by_table["villages"] if r[0] in villages]
    for table in TABLES:
        sheet = book.create_sheet(table.name)
        sheets[table.name] = sheet
        sheet.append([f.label for f in table.fields])
        for row in rows_by_table[table.name]:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""Canonical rows: the standard-format text of each field, as export writes it.

The registry keeps each version of a row in this form, so export and freeze give back
exactly what was imported, and a digest of it tells at once whether a row has changed.
"""

from __future__ import annotations

import hashlib
import json

from fupin.engine.standard_format import (
    HOUSEHOLDS,
    MEASURES,
    MEMBERS,
    REGIONS,
    VILLAGES,
    Table,
)
from fupin.engine.values import Value, format_value

# Import order: a row's references come before it.
TABLES: tuple[Table, ...] = (REGIONS, HOUSEHOLDS, MEMBERS, MEASURES, VILLAGES)

DB_TABLES = {
    "regions": "registry_region",
    "households": "registry_household",
    "members": "registry_member",
    "measures": "registry_measure",
    "villages": "registry_villageindicator",
}

# The column that identifies a current row (measures use their content key, see Measure).
KEY_COLUMNS = {
    "regions": "code",
    "households": "household_id",
    "members": "id_number",
    "measures": "record_key",
    "villages": "region_code",
}

Row = tuple[str, ...]


def canonical(table: Table, values: dict[str, Value]) -> Row:
    return tuple(format_value(f, values[f.name]) for f in table.fields)


def digest(row: Row) -> str:
    return hashlib.md5("\x1f".join(row).encode(), usedforsecurity=False).hexdigest()


def natural_key(table: Table, row: Row) -> str:
    """The key of a row within the data set (for measures, see measure_key)."""
    return row[table.field_names.index(table.key[0])]


def measure_key(household_id: str, row_digest: str, occurrence: int) -> str:
    return f"{household_id}#{row_digest[:16]}#{occurrence}"


def to_json(table: Table, row: Row) -> str:
    return json.dumps(dict(zip(table.field_names, row, strict=True)), ensure_ascii=False)


def from_json(table: Table, data: str) -> Row:
    values = json.loads(data)
    return tuple(values.get(name, "") for name in table.field_names)


def db_values(table: Table, row: Row) -> list[object]:
    """Values for the typed columns of the current table, in field order."""
    out: list[object] = []
    for f, text in zip(table.fields, row, strict=True):
        if f.type == "bool":
            out.append(None if text == "" else text == "是")
        elif f.type == "money":  # empty money counts as 0 (FORMAT.md)
            out.append(text or "0")
        elif f.type == "code":  # codes are foreign keys: an empty one is NULL
            out.append(text or None)
        elif f.type in ("text", "id", "enum", "list"):
            out.append(text)
        else:
            out.append(text or None)
    return out


def changes(table: Table, old: Row, new: Row) -> dict[str, list[str]]:
    return {f.name: [a, b] for f, a, b in zip(table.fields, old, new, strict=True) if a != b}

"""Canonical rows: the standard-format text of each field, as export writes it.

The registry keeps each version of a row in this form, so export and freeze give back
exactly what was imported, and a digest of it tells at once whether a row has changed.
"""

from __future__ import annotations

import hashlib
import json

import duckdb
import pyarrow as pa

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


def digests(rows: pa.Table) -> list[str]:
    """digest() of every row of a table of canonical text columns, computed by DuckDB."""
    if rows.num_rows == 0:
        return []
    columns = ", ".join(f'"{name}"' for name in rows.column_names)
    con = duckdb.connect()
    try:
        con.register("canonical_rows", rows)
        result = con.sql(
            f"SELECT md5(concat_ws(chr(31), {columns})) AS d FROM canonical_rows"
        ).to_arrow_table()
    finally:
        con.close()
    return result.column("d").to_pylist()


def natural_key(table: Table, row: Row) -> str:
    """The key of a row within the data set (for measures, see measure_key)."""
    return row[table.field_names.index(table.key[0])]


def measure_key(household_id: str, row_digest: str, occurrence: int) -> str:
    return f"{household_id}#{row_digest[:16]}#{occurrence}"


_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"))


def to_json(table: Table, row: Row) -> str:
    return _ENCODER.encode(dict(zip(table.field_names, row, strict=True)))


def from_json(table: Table, data: str) -> Row:
    values = json.loads(data)
    return tuple(values.get(name, "") for name in table.field_names)


def _converter(field_type: str):  # type: ignore[no-untyped-def]
    if field_type == "bool":
        return {"": None, "是": True, "否": False}.__getitem__
    if field_type == "money":  # empty money counts as 0 (FORMAT.md)
        return lambda text: text or "0"
    if field_type in ("text", "id", "enum", "list"):
        return None  # stored as it is
    return lambda text: text or None  # codes (foreign keys), numbers and dates: empty is NULL


_CONVERTERS: dict[str, list] = {}  # type: ignore[type-arg]


def db_values(table: Table, row: Row) -> list[object]:
    """Values for the typed columns of the current table, in field order."""
    converters = _CONVERTERS.get(table.name)
    if converters is None:
        converters = _CONVERTERS[table.name] = [_converter(f.type) for f in table.fields]
    return [
        text if convert is None else convert(text)
        for convert, text in zip(converters, row, strict=True)
    ]


def changes(table: Table, old: Row, new: Row) -> dict[str, list[str]]:
    return {f.name: [a, b] for f, a, b in zip(table.fields, old, new, strict=True) if a != b}

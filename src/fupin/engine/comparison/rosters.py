"""Importing department rosters (部门数据) in the standard format: a CSV folder or a workbook.

Every cell is validated exactly as the registry import validates it (`tables.parse_row`), with
one difference the format asks for: a row whose ID number is missing or fails the check is
kept, flagged `id_valid = false` with the reason in `id_problem`, because those are the rows
that fuzzy matching is for. Any other bad cell is a problem naming file, row, column, value and
rule; a roster set with problems is not compared at all (whole or nothing, as the import).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from fupin.engine import idcard
from fupin.engine.dataset import arrow_schema
from fupin.engine.standard_format import ROSTER_TABLES, Table
from fupin.engine.tables import DatasetError, Problem, open_table, parse_row
from fupin.engine.values import Value

__all__ = ["ROSTER_EXTRA_FIELDS", "RosterSet", "import_rosters", "load_rosters", "roster_schema"]

# Columns every imported roster carries besides its fields.
ROSTER_EXTRA_FIELDS = ("row_number", "id_valid", "id_problem")

# ID-typed fields kept (normalised) when invalid instead of rejecting the row.
_LENIENT_ID_FIELDS = ("id_number", "household_head_id")


@dataclass
class RosterSet:
    """The rosters of one folder or workbook, typed, with what was wrong with them."""

    source: str
    tables: dict[str, pa.Table] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        return {name: t.num_rows for name, t in self.tables.items()}

    def invalid_ids(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, t in self.tables.items():
            valid = t.column("id_valid").to_pylist()
            out[name] = sum(1 for v in valid if not v)
        return out


def roster_schema(table: Table) -> pa.Schema:
    """The Arrow schema of an imported roster: its typed fields, then the row flags."""
    schema = arrow_schema(table)
    for name, kind in (("row_number", pa.int64()), ("id_valid", pa.bool_())):
        schema = schema.append(pa.field(name, kind))
    return schema.append(pa.field("id_problem", pa.string()))


def import_rosters(path: Path | str, tables: Iterable[Table] = ROSTER_TABLES) -> RosterSet:
    """Read and validate every roster present at `path` (a folder of roster_*.csv or a workbook).

    Raises DatasetError when the source cannot be read at all or holds no roster.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise DatasetError(f"部门数据不存在：{path}")
    result = RosterSet(str(path))
    for table in tables:
        reader = open_table(path, table)
        if reader is None:
            continue
        if reader.unknown_columns:
            result.warnings.append(
                f"{reader.file_label}：未知的列 {'、'.join(reader.unknown_columns)} 不参与比对"
            )
        columns: dict[str, list[Value]] = {f.name: [] for f in table.fields}
        rows: list[int] = []
        valid: list[bool] = []
        reasons: list[str | None] = []
        for row_number, raw in reader:
            values, problems = parse_row(reader, row_number, raw)
            kept: list[Problem] = []
            for problem in problems:
                name = next(
                    (
                        f
                        for f in _LENIENT_ID_FIELDS
                        if f in columns and reader.label_of(f) == problem.column
                    ),
                    None,
                )
                if name is None:
                    kept.append(problem)
                    continue
                # keep the normalised text of an invalid ID: fuzzy matching may still use it
                values[name] = idcard.normalise(raw.get(name, "")) or None
            if kept:
                result.problems.extend(kept)
                continue
            number = raw.get("id_number", "")
            reason = idcard.explain(number) if number.strip() else "身份证号为空"
            for name in columns:
                columns[name].append(values.get(name))
            rows.append(row_number)
            valid.append(reason is None)
            reasons.append(reason)
        schema = roster_schema(table)
        arrays = {name: columns[name] for name in columns}
        arrays["row_number"] = rows  # type: ignore[assignment]
        arrays["id_valid"] = valid  # type: ignore[assignment]
        arrays["id_problem"] = reasons  # type: ignore[assignment]
        result.tables[table.name] = pa.Table.from_pydict(arrays, schema=schema)
    if not result.tables:
        names = "、".join(t.file_name for t in tables)
        raise DatasetError(f"{path}：没有找到任何部门数据表（{names}）")
    return result


def load_rosters(con: duckdb.DuckDBPyConnection, rosters: RosterSet) -> list[str]:
    """Put the imported rosters into `con` as tables named like their files; their names."""
    for name, table in rosters.tables.items():
        con.register("_roster_import", table)
        try:
            con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _roster_import')
        finally:
            con.unregister("_roster_import")
    return list(rosters.tables)

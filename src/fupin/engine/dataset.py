"""Open a data set as typed DuckDB tables: a standard-format CSV folder, an XLSX workbook or a
snapshot (Parquet files and a manifest written by `fupin freeze`).

Whatever the source, the connection ends up with the tables `regions`, `households`, `members`,
`measures` and `villages` (empty when the source lacks them) plus any department roster or survey
table present, each with exactly the fields of `standard_format` and their types:

    text, code, id, enum, list  ->  VARCHAR   (a list keeps its values joined by ';')
    bool                        ->  BOOLEAN   (empty or unreadable is NULL: unknown)
    money                       ->  DECIMAL(18,2)  (empty counts as 0)
    decimal, percent            ->  DOUBLE
    int, year                   ->  BIGINT
    date                        ->  DATE

Cells are mapped to types in SQL, column by column, never in a Python loop over rows. This is a
loader for analysis, not the importer: a value the format does not allow becomes NULL (unknown)
instead of an error; `fupin import` is where such values are reported.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from fupin import config
from fupin.engine.standard_format import (
    ALL_TABLES,
    BOOL_FALSE,
    BOOL_TRUE,
    REGISTRY_TABLES,
    STATUS_POLICY_ENDED_SYNONYMS,
    Field,
    Table,
)
from fupin.engine.tables import DatasetError, dataset_kind

__all__ = [
    "DatasetError",
    "arrow_schema",
    "open_dataset",
    "resolve_snapshot",
    "sql_type",
    "is_snapshot",
]

MANIFEST = "manifest.json"

_SQL_TYPES = {
    "text": "VARCHAR",
    "code": "VARCHAR",
    "id": "VARCHAR",
    "enum": "VARCHAR",
    "list": "VARCHAR",
    "bool": "BOOLEAN",
    "money": "DECIMAL(18,2)",
    "decimal": "DOUBLE",
    "percent": "DOUBLE",
    "int": "BIGINT",
    "year": "BIGINT",
    "date": "DATE",
}

_ARROW_TYPES = {
    "text": pa.string(),
    "code": pa.string(),
    "id": pa.string(),
    "enum": pa.string(),
    "list": pa.string(),
    "bool": pa.bool_(),
    "money": pa.decimal128(18, 2),
    "decimal": pa.float64(),
    "percent": pa.float64(),
    "int": pa.int64(),
    "year": pa.int64(),
    "date": pa.date32(),
}


def sql_type(f: Field) -> str:
    """The DuckDB type of a standard-format field."""
    return _SQL_TYPES[f.type]


def arrow_schema(table: Table) -> pa.Schema:
    """The typed Arrow schema of a standard-format table (as snapshots store it)."""
    return pa.schema([pa.field(f.name, _ARROW_TYPES[f.type]) for f in table.fields])


def is_snapshot(path: Path) -> bool:
    return path.is_dir() and (path / MANIFEST).is_file()


def resolve_snapshot(snapshot_id: str) -> Path:
    """The folder of a snapshot by id (a folder under FUPIN_HOME/snapshots), or by path."""
    candidate = Path(snapshot_id).expanduser()
    if is_snapshot(candidate):
        return candidate
    folder = config.snapshots_dir() / snapshot_id
    if is_snapshot(folder):
        return folder
    raise DatasetError(f"找不到快照“{snapshot_id}”：{folder} 不存在或缺少 {MANIFEST}")


def open_dataset(
    source: str | Path,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    tables: Iterable[str] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection holding the typed tables of the data set at `source`.

    `tables` limits loading to those tables (the registry tables are always created, empty
    when not loaded); by default every table of the format present in the source is loaded.
    """
    path = Path(source).expanduser()
    if not path.exists():
        raise DatasetError(f"数据不存在：{path}")
    if con is None:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        # a Parquet file's footer is read once, not again for every query binding the view
        con.execute("SET parquet_metadata_cache = true")
    wanted = [t for t in ALL_TABLES.values() if tables is None or t.name in set(tables)]
    if is_snapshot(path):
        _open_snapshot(path, con, wanted)
        return con
    kind = dataset_kind(path)
    for table in ALL_TABLES.values():
        if table not in wanted:
            if table in REGISTRY_TABLES:
                _create_empty(con, table)
            continue
        if kind == "folder":
            file = path / table.file_name
            present = file.is_file()
            if present:
                _load_csv(con, file, table)
        elif kind == "csv":
            present = path.stem == table.name
            if present:
                _load_csv(con, path, table)
        else:
            present = _load_xlsx_sheet(con, path, table)
        if not present and table in REGISTRY_TABLES:
            _create_empty(con, table)
    return con


# --- typed columns from text ------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(_literal(v) for v in values) + ")"


def _trimmed(column: str) -> str:
    # full-width spaces count as spaces, as in values.clean
    return f"NULLIF(TRIM(REPLACE(CAST({column} AS VARCHAR), '\u3000', ' ')), '')"


def _enum_sql(f: Field, t: str) -> str:
    mapping: dict[str, str] = {v: v for v in f.values}
    mapping.update(f.synonyms)
    if f.name == "status":
        mapping.update({s: "已脱贫" for s in STATUS_POLICY_ENDED_SYNONYMS})
    if all(len(v) == 1 and v.isalpha() for v in f.values):  # housing grade a/b/c/d
        t = f"UPPER({t})"
    whens = " ".join(f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in mapping.items())
    return f"CASE {t} {whens} ELSE NULL END"


def _list_sql(f: Field, t: str) -> str:
    # normalise separators; items are kept in the order written (the importer canonicalises)
    sep = f"REPLACE(REPLACE(REPLACE({t}, '；', ';'), '、', ';'), ' ', '')"
    return f"NULLIF(TRIM(REGEXP_REPLACE({sep}, ';+', ';', 'g'), ';'), '')"


def _number_text(t: str) -> str:
    return f"REPLACE(REPLACE({t}, ',', ''), '，', '')"


def _typed_sql(f: Field, raw: str | None) -> str:
    """The SQL turning the text column `raw` (None: column absent) into the field's type."""
    if raw is None:
        return f"CAST(0 AS {sql_type(f)})" if f.type == "money" else f"CAST(NULL AS {sql_type(f)})"
    t = _trimmed(raw)
    if f.type in ("text", "code"):
        return t
    if f.type == "id":
        return f"UPPER({t})"
    if f.type == "enum":
        return _enum_sql(f, t)
    if f.type == "list":
        return _list_sql(f, t)
    if f.type == "bool":
        low = f"LOWER({t})"
        return (
            f"CASE WHEN {low} IN {_in_list(BOOL_TRUE)} THEN TRUE "
            f"WHEN {low} IN {_in_list(BOOL_FALSE)} THEN FALSE ELSE NULL END"
        )
    if f.type == "money":
        return f"COALESCE(TRY_CAST({_number_text(t)} AS DECIMAL(18,2)), 0)"
    if f.type == "decimal":
        return f"TRY_CAST({_number_text(t)} AS DOUBLE)"
    if f.type == "percent":
        return f"TRY_CAST(RTRIM({_number_text(t)}, '%') AS DOUBLE)"
    if f.type in ("int", "year"):
        return f"TRY_CAST(TRY_CAST({_number_text(t)} AS DOUBLE) AS BIGINT)"
    if f.type == "date":
        head = f"SUBSTRING(REPLACE(REPLACE({t}, '/', '-'), '.', '-'), 1, 10)"
        return f"TRY_CAST({head} AS DATE)"
    raise AssertionError(f.type)


def _select_typed(table: Table, columns: dict[str, str], source_sql: str) -> str:
    """SELECT the typed fields of `table` from `source_sql`, whose text columns are `columns`
    (field name -> column name in the source)."""
    items = []
    for f in table.fields:
        raw = _quote(columns[f.name]) if f.name in columns else None
        expr = _typed_sql(f, raw)
        if f.name == "policy_ended" and "status" in columns:
            status = _trimmed(_quote(columns["status"]))
            ended = _in_list(STATUS_POLICY_ENDED_SYNONYMS)
            expr = f"CASE WHEN {status} IN {ended} THEN TRUE ELSE {expr} END"
        items.append(f"{expr} AS {_quote(f.name)}")
    present = [_trimmed(_quote(c)) for c in columns.values()]
    where = f" WHERE COALESCE({', '.join(present)}) IS NOT NULL" if present else ""
    return f"SELECT {', '.join(items)} FROM {source_sql}{where}"


def _map_header(table: Table, header: list[str], label: str) -> dict[str, int]:
    known = table.header_map()
    out: dict[str, int] = {}
    for i, h in enumerate(header):
        name = known.get(h.strip()) or known.get(h.strip().lower())
        if name is None:
            continue
        if name in out:
            raise DatasetError(f"{label} 第1行：列“{h}”重复")
        out[name] = i
    return out


def _create_empty(con: duckdb.DuckDBPyConnection, table: Table, *, temporary: bool = False) -> None:
    cols = ", ".join(f"{_quote(f.name)} {sql_type(f)}" for f in table.fields)
    kind = "TEMPORARY TABLE" if temporary else "TABLE"
    con.execute(f"CREATE OR REPLACE {kind} {_quote(table.name)} ({cols})")


def _load_csv(con: duckdb.DuckDBPyConnection, file: Path, table: Table) -> None:
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            lines = csv.reader(handle)
            header = next(lines, None)
            has_rows = next(lines, None) is not None
    except UnicodeDecodeError:
        raise DatasetError(f"{file.name}：文件不是UTF-8编码，请另存为“CSV UTF-8”") from None
    if header is None or not has_rows:
        _create_empty(con, table)
        return
    fields = _map_header(table, header, file.name)
    if not fields:
        raise DatasetError(f"{file.name} 第1行：没有一列是“{table.label}”的字段")
    spec = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    source = (
        f"read_csv({_literal(str(file))}, header = false, skip = 1, columns = {{{spec}}}, "
        "delim = ',', quote = '\"', escape = '\"', null_padding = true, "
        "strict_mode = false, auto_detect = false, encoding = 'utf-8')"
    )
    sql = _select_typed(table, {name: f"c{i}" for name, i in fields.items()}, source)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {_quote(table.name)} AS {sql}")
    except duckdb.Error as exc:
        raise DatasetError(f"{file.name}：无法读取（{exc}）") from None


def _load_xlsx_sheet(con: duckdb.DuckDBPyConnection, path: Path, table: Table) -> bool:
    from python_calamine import CalamineWorkbook

    from fupin.engine.values import clean

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise DatasetError(f"{path.name}：无法读取工作簿（{exc}）") from None
    if table.name not in book.sheet_names:
        return False
    rows = book.get_sheet_by_name(table.name).to_python(skip_empty_area=False)
    label = f"{path.name}[{table.name}]"
    if not rows:
        _create_empty(con, table)
        return True
    header = [clean(h) for h in rows[0]]
    fields = _map_header(table, header, label)
    # A workbook is at most about a million rows; turning its cells into text is the reader's
    # work (calamine hands over Python objects). Typing the text is SQL, as for CSV.
    body = rows[1:]
    columns = {
        f"c{i}": pa.array(
            [clean(r[i]) if i < len(r) else "" for r in body] if body else [], pa.string()
        )
        for i in fields.values()
    }
    arrow = pa.table(columns) if columns else pa.table({"c0": pa.array([], pa.string())})
    con.register("_xlsx_sheet", arrow)
    try:
        sql = _select_typed(table, {name: f"c{i}" for name, i in fields.items()}, "_xlsx_sheet")
        con.execute(f"CREATE OR REPLACE TABLE {_quote(table.name)} AS {sql}")
    finally:
        con.unregister("_xlsx_sheet")
    return True


# --- snapshots --------------------------------------------------------------------------------


def _open_snapshot(folder: Path, con: duckdb.DuckDBPyConnection, wanted: list[Table]) -> None:
    import pyarrow.parquet as pq

    try:
        json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"快照 {folder.name}：{MANIFEST} 无法读取（{exc}）") from None
    for table in ALL_TABLES.values():
        file = folder / f"{table.name}.parquet"
        if table not in wanted or not file.is_file():
            if table in REGISTRY_TABLES:
                _create_empty(con, table, temporary=True)
            continue
        have = set(pq.read_schema(file).names)
        items = []
        for f in table.fields:
            if f.name in have:
                expr = f"CAST({_quote(f.name)} AS {sql_type(f)})"
                if f.type == "money":
                    expr = f"COALESCE({expr}, 0)"
                items.append(f"{expr} AS {_quote(f.name)}")
            else:
                items.append(f"{_typed_sql(f, None)} AS {_quote(f.name)}")
        con.execute(
            f"CREATE OR REPLACE TEMPORARY VIEW {_quote(table.name)} AS SELECT {', '.join(items)} "
            f"FROM read_parquet({_literal(str(file))})"
        )

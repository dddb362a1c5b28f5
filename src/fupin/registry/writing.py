"""Writing registry rows and their versions in bulk: COPY on PostgreSQL, executemany elsewhere.

Every write of a household, member, measure, village or region goes through here, from the
importer and from the site's edit actions alike, so that the current row and its history
never disagree.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from django.db import connection

from fupin.engine.standard_format import Table
from fupin.registry.canonical import (
    DB_TABLES,
    KEY_COLUMNS,
    Row,
    changes,
    db_values,
    from_json,
    to_json,
)

VERSION_TABLE = "registry_recordversion"
VERSION_COLUMNS = (
    "table",
    "key",
    "valid_from",
    "valid_to",
    "data",
    "changes",
    "deleted",
    "changed_by_id",
    "source",
)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def insert_rows(db_table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Rows into a table in bulk: COPY on PostgreSQL, the driver's executemany elsewhere."""
    cols = ", ".join(_q(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {_q(db_table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # the driver's own executemany: Django's wrapper rewrites every parameter list
            marks = ", ".join(["?"] * len(columns))
            cursor.cursor.executemany(f"INSERT INTO {_q(db_table)} ({cols}) VALUES ({marks})", rows)


def db_datetime(moment: dt.datetime) -> object:
    """An aware datetime as a raw SQL parameter. On SQLite, Django stores datetimes as UTC text
    without an offset and compares them as text; the driver would pass an aware datetime as
    local time with its offset ('2026-11-24 00:00:00+08:00'), eight hours off in that
    comparison. So it gets Django's stored form; other databases take the datetime."""
    if connection.vendor == "sqlite":
        return connection.ops.adapt_datetimefield_value(moment)
    return moment


class RegistryWriter:
    """Writes rows of the standard format with their history, inside the caller's transaction."""

    def __init__(self, *, now: dt.datetime, user_id: int | None, source: str) -> None:
        self.now = now
        self.now_db = db_datetime(now)
        self.user_id = user_id
        self.source = source

    def _columns(self, table: Table) -> list[str]:
        cols = list(table.field_names) + ["digest"]
        if table.name == "measures":
            cols.append("record_key")
        return cols

    def add(self, table: Table, items: Sequence[tuple[str, Row, str]]) -> None:
        """New rows: (key, canonical row, digest)."""
        if not items:
            return

        def current() -> Iterable[list[object]]:
            for key, row, row_digest in items:
                values = db_values(table, row) + [row_digest]
                if table.name == "measures":
                    values.append(key)
                yield values

        insert_rows(DB_TABLES[table.name], self._columns(table), current())
        self._versions(table, ((key, to_json(table, row), "", False) for key, row, _ in items))

    def add_columns(self, table: Table, rows: pa.Table) -> None:
        """New rows as canonical Arrow columns plus _key and _digest (see importing._Pending).

        On PostgreSQL, DuckDB turns the columns into the typed values of the current table and
        the JSON of the history, and both go to COPY as CSV without a Python loop over rows.
        """
        if rows.num_rows == 0:
            return
        if connection.vendor != "postgresql":
            fields = zip(*(rows.column(n).to_pylist() for n in table.field_names), strict=True)
            keys = rows.column("_key").to_pylist()
            row_digests = rows.column("_digest").to_pylist()
            self.add(table, list(zip(keys, fields, row_digests, strict=True)))
            return
        connection.ensure_connection()
        self.copy_columns(connection.connection, table, rows)

    def copy_columns(
        self, raw_connection: psycopg.Connection, table: Table, rows: pa.Table
    ) -> None:
        """add_columns on PostgreSQL, on the driver's connection (BackgroundCopy's thread)."""
        con = duckdb.connect()
        try:
            con.register("new_rows", rows)
            columns = self._columns(table)
            with_helpers = table.name == "households"
            if with_helpers:
                con.register("helper_ids", _helper_ids(raw_connection, rows))
                columns.append("helper_id")
            current = con.sql(_current_sql(table, with_helpers=with_helpers)).to_arrow_table()
            _copy_csv(raw_connection, DB_TABLES[table.name], columns, current)
            del current
            versions = con.sql(
                _versions_sql(table),
                params=[table.name, self.now.isoformat(), self.user_id, self.source],
            ).to_arrow_table()
            _copy_csv(raw_connection, VERSION_TABLE, VERSION_COLUMNS, versions)
        finally:
            con.close()

    def update(self, table: Table, items: Sequence[tuple[str, Row, str]]) -> int:
        """Changed rows: close the open version, write the new one with its diff."""
        if not items:
            return 0
        old = self.current_data(table, [key for key, _, _ in items])
        cols = self._columns(table)[: len(table.field_names) + 1]
        sets = ", ".join(f"{_q(c)} = %s" for c in cols)
        key_col = KEY_COLUMNS[table.name]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {_q(DB_TABLES[table.name])} SET {sets} WHERE {_q(key_col)} = %s",
                [db_values(table, row) + [row_digest, key] for key, row, row_digest in items],
            )
        self._close(table, [key for key, _, _ in items])
        self._versions(
            table,
            (
                (
                    key,
                    to_json(table, row),
                    json.dumps(changes(table, old[key], row), ensure_ascii=False)
                    if key in old
                    else "",
                    False,
                )
                for key, row, _ in items
            ),
        )
        return len(items)

    def delete(self, table: Table, keys: Sequence[str]) -> None:
        if not keys:
            return
        old = self.current_data(table, keys)
        key_col = KEY_COLUMNS[table.name]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"DELETE FROM {_q(DB_TABLES[table.name])} WHERE {_q(key_col)} = %s",
                [[k] for k in keys],
            )
        self._close(table, keys)
        self._versions(table, ((k, to_json(table, old[k]), "", True) for k in keys if k in old))

    def current_data(self, table: Table, keys: Sequence[str]) -> dict[str, Row]:
        out: dict[str, Row] = {}
        with connection.cursor() as cursor:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT {_q('key')}, data FROM {VERSION_TABLE} "
                    f"WHERE {_q('table')} = %s AND valid_to IS NULL AND {_q('key')} IN ({marks})",
                    [table.name, *chunk],
                )
                for key, data in cursor.fetchall():
                    out[key] = from_json(table, data)
        return out

    def _close(self, table: Table, keys: Sequence[str]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {VERSION_TABLE} SET valid_to = %s "
                f"WHERE {_q('table')} = %s AND {_q('key')} = %s AND valid_to IS NULL",
                [[self.now_db, table.name, k] for k in keys],
            )

    def _versions(self, table: Table, items: Iterable[tuple[str, str, str, bool]]) -> None:
        insert_rows(
            VERSION_TABLE,
            VERSION_COLUMNS,
            (
                [table.name, key, self.now_db, None, data, diff, deleted, self.user_id, self.source]
                for key, data, diff, deleted in items
            ),
        )


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _current_sql(table: Table, *, with_helpers: bool = False) -> str:
    """The current table's typed values as text, NULL where db_values gives None.

    with_helpers: households, with the helper_id of their 帮扶责任人 (see _helper_ids).
    """
    out = []
    for f in table.fields:
        column = f'"{f.name}"'
        if f.type == "bool":
            value = f"CASE {column} WHEN '是' THEN 'true' WHEN '否' THEN 'false' END"
        elif f.type == "money":  # empty money counts as 0 (FORMAT.md)
            value = f"CASE WHEN {column} = '' THEN '0' ELSE {column} END"
        elif f.type in ("text", "id", "enum", "list"):
            value = column
        else:
            value = f"nullif({column}, '')"
        out.append(f"{value} AS {column}")
    out.append('"_digest" AS digest')
    if table.name == "measures":
        out.append('"_key" AS record_key')
    source = "new_rows"
    if with_helpers:
        out.append("CAST(h_id AS VARCHAR) AS helper_id")
        source += (
            " LEFT JOIN helper_ids"
            " ON h_name = helper_name AND h_unit = helper_unit AND h_phone = helper_phone"
        )
    return f"SELECT {', '.join(out)} FROM {source}"


def _helper_ids(raw_connection: psycopg.Connection, households: pa.Table) -> pa.Table:
    """The 帮扶责任人 of new households, created where missing: (name, unit, phone, id).

    Linking households as they are written spares link_helpers rewriting every new row.
    """
    names = households.column("helper_name").to_pylist()
    units = households.column("helper_unit").to_pylist()
    phones = households.column("helper_phone").to_pylist()
    people = sorted({p for p in zip(names, units, phones, strict=True) if p[0]})
    found: list[tuple[str, str, str, int]] = []
    if people:
        arrays = [list(column) for column in zip(*people, strict=True)]
        with raw_connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO registry_helper (name, unit, phone) "
                "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]) "
                "ON CONFLICT ON CONSTRAINT helper_identity DO NOTHING",
                arrays,
            )
            cursor.execute(
                "SELECT x.name, x.unit, x.phone, x.id FROM registry_helper x "
                "JOIN unnest(%s::text[], %s::text[], %s::text[]) AS p(name, unit, phone) "
                "ON x.name = p.name AND x.unit = p.unit AND x.phone = p.phone",
                arrays,
            )
            found = cursor.fetchall()
    return pa.table(
        [pa.array([row[i] for row in found], pa.string()) for i in range(3)]
        + [pa.array([row[3] for row in found], pa.int64())],
        names=["h_name", "h_unit", "h_phone", "h_id"],
    )


def _versions_sql(table: Table) -> str:
    """History rows in VERSION_COLUMNS order; parameters: table, valid_from, user, source."""
    pairs = ", ".join(f'{_sql_text(name)}, "{name}"' for name in table.field_names)
    return (
        'SELECT $1 AS "table", "_key" AS key, $2 AS valid_from, NULL::VARCHAR AS valid_to, '
        f"json_object({pairs})::VARCHAR AS data, '' AS changes, 'false' AS deleted, "
        "$3::INTEGER AS changed_by_id, $4 AS source FROM new_rows"
    )


def _copy_csv(
    raw_connection: psycopg.Connection, db_table: str, columns: Sequence[str], rows: pa.Table
) -> None:
    """COPY rows in as CSV: quoted values are text (an empty one too), bare empties are NULL."""
    cols = ", ".join(_q(c) for c in columns)
    options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    sql = f"COPY {_q(db_table)} ({cols}) FROM STDIN WITH (FORMAT csv)"
    with raw_connection.cursor() as cursor, cursor.copy(sql) as copy:
        for batch in rows.to_batches(max_chunksize=50_000):
            buffer = io.BytesIO()
            pa_csv.write_csv(batch, buffer, options)
            copy.write(buffer.getbuffer())


class BackgroundCopy:
    """New rows written by a thread while the import goes on checking the next batch.

    On a two-core machine the check pass (Python) and PostgreSQL's work on the rows already
    checked then run at the same time. The thread uses the same driver connection, so the rows
    are in the import's transaction; the caller must call drain() before it uses the database
    itself, and close() before the transaction ends.
    """

    def __init__(self, writer: RegistryWriter) -> None:
        connection.ensure_connection()
        self.raw_connection = connection.connection
        self.writer = writer
        self.queue: queue.Queue[tuple[Table, pa.Table] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None  # the first failure; the thread then stops writing
        self.reported = False
        self.thread = threading.Thread(target=self._run, name="fupin-copy", daemon=True)
        self.thread.start()

    def put(self, table: Table, rows: pa.Table) -> None:
        self._raise()
        if rows.num_rows:
            self.queue.put((table, rows))

    def drain(self) -> None:
        self.queue.join()
        self._raise()

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self._raise()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None:
                    self.writer.copy_columns(self.raw_connection, *item)
            except BaseException as exc:  # handed to the importer's thread by _raise
                self.error = exc
            finally:
                self.queue.task_done()

    def _raise(self) -> None:
        if self.error is not None and not self.reported:
            self.reported = True  # once: close() in a finally must not hide the first report
            raise self.error


# Tables a large import writes into; their secondary indexes are rebuilt after a bulk load.
_BULK_TABLES = (*DB_TABLES.values(), VERSION_TABLE)
BULK_LOAD_MIN_ROWS = 50_000


@contextlib.contextmanager
def bulk_load(new_rows: int, existing_rows: int) -> Iterator[None]:
    """Drop secondary indexes and foreign keys for a large load into small tables, restore after.

    This is PostgreSQL's own advice for bulk loads: building an index once over a million rows
    is several times cheaper than updating it a million times, and checking a foreign key once
    with a join is far cheaper than a trigger per inserted row. Only on PostgreSQL, only for
    non-unique indexes (the unique ones keep guarding the keys), and inside the import's
    transaction: a failed import keeps everything as it was, and a reference the check pass
    let through by mistake still fails the import when the key is put back. Readers of the
    registry wait while a first load is being written.
    """
    if (
        connection.vendor != "postgresql"
        or new_rows < BULK_LOAD_MIN_ROWS
        or new_rows < existing_rows
    ):
        yield
        return
    tables = list(_BULK_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'f' AND t.relname = ANY(%s)",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {_q(table)} DROP CONSTRAINT {_q(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {_q(name)}")
    yield
    with connection.cursor() as cursor:
        # PostgreSQL does not build an index on a table with deferred checks still pending
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def link_helpers() -> None:
    """Create a 帮扶责任人 for every distinct (name, unit, phone) and link households to it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registry_helper (name, unit, phone) "
            "SELECT DISTINCT h.helper_name, h.helper_unit, h.helper_phone FROM registry_household h "
            "WHERE h.helper_name <> '' AND NOT EXISTS (SELECT 1 FROM registry_helper x "
            "WHERE x.name = h.helper_name AND x.phone = h.helper_phone AND x.unit = h.helper_unit)"
        )
        # one join, and only the households whose link changes: a first load of a million
        # households must not rewrite each row with a look-up of its own
        cursor.execute(
            "UPDATE registry_household SET helper_id = x.id FROM registry_helper x "
            "WHERE x.name = registry_household.helper_name "
            "AND x.phone = registry_household.helper_phone "
            "AND x.unit = registry_household.helper_unit "
            "AND registry_household.helper_name <> '' "
            "AND registry_household.helper_id IS DISTINCT FROM x.id"
        )
        cursor.execute(
            "UPDATE registry_household SET helper_id = NULL "
            "WHERE helper_name = '' AND helper_id IS NOT NULL"
        )

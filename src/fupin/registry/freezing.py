"""`fupin freeze`: the registry as it stood on a date, written as an immutable snapshot.

A snapshot is a folder under FUPIN_HOME/snapshots with one Parquet file per table of the
standard format and a manifest (as-of date, row counts, SHA-256 checksums, code version).
It is read from the history (RecordVersion), so a freeze as of last year gives last year's
registry whatever has changed since.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import connection
from django.utils import timezone

from fupin import __version__, config
from fupin.engine.standard_format import Table
from fupin.registry.canonical import TABLES, from_json
from fupin.registry.writing import db_datetime

_ARROW_TYPES = {
    "bool": pa.bool_(),
    "money": pa.decimal128(18, 2),
    "decimal": pa.float64(),
    "percent": pa.float64(),
    "int": pa.int64(),
    "year": pa.int64(),
    "date": pa.date32(),
}


class SnapshotError(ValueError):
    pass


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([(f.name, _ARROW_TYPES.get(f.type, pa.string())) for f in table.fields])


def to_arrow(table: Table, rows: list[tuple[str, ...]]) -> pa.Table:
    """Canonical text rows to a typed Arrow table, one vectorised cast per column."""
    columns = []
    for i, f in enumerate(table.fields):
        text = pa.array([r[i] for r in rows], type=pa.string())
        target = _ARROW_TYPES.get(f.type)
        if target is None:
            columns.append(text)
            continue
        empty = pc.equal(text, "")
        if f.type == "bool":
            values = pc.equal(text, "是")
        elif f.type == "money":
            values = pc.cast(pc.if_else(empty, "0", text), target)
        else:
            values = pc.cast(pc.if_else(empty, None, text), target)
        columns.append(pc.if_else(empty, None, values) if f.type != "money" else values)
    return pa.Table.from_arrays(columns, schema=arrow_schema(table))


def _rows_as_of(table: Table, moment: dt.datetime) -> Iterator[list[tuple[str, ...]]]:
    q = connection.ops.quote_name
    sql = (
        f"SELECT data FROM registry_recordversion WHERE {q('table')} = %s AND valid_from < %s "
        "AND (valid_to IS NULL OR valid_to >= %s) AND NOT deleted ORDER BY "
        f"{q('key')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [table.name, db_datetime(moment), db_datetime(moment)])
        while batch := cursor.fetchmany(50_000):
            yield [from_json(table, data) for (data,) in batch]


def end_of_day(as_of: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min))


def freeze(as_of: dt.date, *, name: str | None = None, root: Path | None = None) -> Path:
    """Write the snapshot of the registry at the end of `as_of`; return its folder."""
    root = root or config.snapshots_dir()
    root.mkdir(parents=True, exist_ok=True)
    snapshot_id = name or _new_id(root, as_of)
    folder = root / snapshot_id
    if folder.exists():
        raise SnapshotError(f"快照 {snapshot_id} 已存在，快照不可覆盖")
    tmp = root / f".{snapshot_id}.partial"
    tmp.mkdir()
    moment = end_of_day(as_of)
    manifest: dict[str, object] = {
        "id": snapshot_id,
        "as_of": as_of.isoformat(),
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "code_version": __version__,
        "tables": {},
    }
    tables: dict[str, object] = {}
    for table in TABLES:
        file = tmp / f"{table.name}.parquet"
        count = 0
        with pq.ParquetWriter(file, arrow_schema(table), compression="zstd") as writer:
            for batch in _rows_as_of(table, moment):
                writer.write_table(to_arrow(table, batch))
                count += len(batch)
        tables[table.name] = {"file": file.name, "rows": count, "sha256": _sha256(file)}
    manifest["tables"] = tables
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    tmp.rename(folder)
    for file in folder.iterdir():
        os.chmod(file, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    return folder


def _new_id(root: Path, as_of: dt.date) -> str:
    n = 1
    while (root / f"{as_of:%Y%m%d}-{n:03d}").exists():
        n += 1
    return f"{as_of:%Y%m%d}-{n:03d}"


def _sha256(file: Path) -> str:
    h = hashlib.sha256()
    with file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def list_snapshots(root: Path | None = None) -> list[dict[str, object]]:
    root = root or config.snapshots_dir()
    if not root.exists():
        return []
    out = []
    for folder in sorted(root.iterdir()):
        manifest = folder / "manifest.json"
        if folder.name.startswith(".") or not manifest.exists():
            continue
        out.append(json.loads(manifest.read_text("utf-8")))
    return out


def verify(folder: Path) -> list[str]:
    """Checksum mismatches of a snapshot (empty when intact)."""
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    bad = []
    for name, info in manifest["tables"].items():
        if _sha256(folder / info["file"]) != info["sha256"]:
            bad.append(f"{name}：校验和不一致，快照已被改动")
    return bad

"""`fupin import`: load a data set in the standard format into the registry.

Two passes. The first reads every table once, row by row, checks each value and the
cross-file rules, and sorts the valid rows into added / updated / unchanged against the
digests already in the registry, spooling the rows to write to a temporary file. The second
writes them in one transaction. A data set with problems writes nothing unless the caller
asks to keep the valid rows; the rejected rows then go to a folder the user can fix and
import again.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction
from django.utils import timezone

from fupin.engine import column_batches, idcard
from fupin.engine.column_batches import CanonicalBatch, ColumnCanonicaliser, RawBatch, raw_batches
from fupin.engine.standard_format import HOUSEHOLDS, MEASURES, MEMBERS, REGIONS, VILLAGES, Table
from fupin.engine.tables import DatasetError, Problem, TableReader, open_table
from fupin.registry import regions as region_codes
from fupin.registry.canonical import (
    DB_TABLES,
    KEY_COLUMNS,
    TABLES,
    Row,
    digests,
    measure_key,
)
from fupin.registry.models import ImportRun
from fupin.registry.writing import BackgroundCopy, RegistryWriter, bulk_load, link_helpers

OUTCOMES = ("added", "updated", "unchanged", "rejected", "removed")
OUTCOME_LABELS = {
    "added": "新增",
    "updated": "更新",
    "unchanged": "未变",
    "rejected": "拒绝",
    "removed": "删除",
}

# on_progress(phase, done, total): called after every batch of rows, so a caller (the site's
# import page) can show a progress bar; total is None when it cannot be known in advance.
ProgressCallback = Callable[[str, int, int | None], None]


@dataclass
class ImportResult:
    source: str
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    committed: bool = False
    rejects_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


_ODD_DIGITS = pa.array(list("13579"), pa.string())

# The fields each table's row rules look at (see _Importer._row_rules).
RULE_FIELDS = {
    "regions": ("code", "level", "parent_code"),
    "households": ("household_id", "region_code", "status", "exit_year", "head_id_number"),
    "members": ("id_number", "birth_date", "sex", "household_id", "relation"),
    "measures": ("household_id",),
    "villages": ("region_code",),
}


@dataclass
class _Pending:
    """Rows of one table waiting to be written: canonical Arrow columns spooled to disk.

    Each spooled row carries its key, digest and outcome (added or updated) in three extra
    columns.
    """

    table: Table
    spool: IO[bytes]
    writer: pa.ipc.RecordBatchStreamWriter | None = None
    written: int = 0
    added: int = 0
    closed: bool = False

    def add(self, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        self.written += rows.num_rows
        self.added += pc.sum(pc.equal(rows.column("_outcome"), "added")).as_py() or 0
        if self.writer is None:
            self.writer = pa.ipc.new_stream(self.spool, rows.schema)
        self.writer.write_table(rows)

    def chunks(self) -> Iterator[pa.Table]:
        if self.writer is None:
            return
        if not self.closed:
            self.writer.close()
            self.closed = True
        self.spool.seek(0)
        with pa.ipc.open_stream(self.spool) as stream:
            for batch in stream:
                yield pa.Table.from_batches([batch])


class _Importer:
    def __init__(
        self,
        path: Path,
        *,
        keep_valid: bool,
        progress: bool,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.path = path
        self.keep_valid = keep_valid
        self.progress = progress
        self.on_progress = on_progress
        self.result = ImportResult(str(path))
        self.pending: dict[str, _Pending] = {}
        self.rejected_raw: dict[str, list[tuple[int, dict[str, str], str]]] = defaultdict(list)
        self.readers: dict[str, TableReader] = {}
        # Facts gathered across files for the cross-file checks.
        self.region_codes: set[str] = set()
        self.region_parents: dict[str, tuple[str, int]] = {}  # code -> (parent, row number)
        self.household_rows: dict[str, int] = {}  # household_id -> row number in households
        self.household_heads: dict[str, str] = {}  # household_id -> head_id_number
        self.rejected_households: set[str] = set()
        self.member_heads: dict[str, list[str]] = defaultdict(list)  # household -> 户主 IDs
        self.member_households: set[str] = set()
        self.measure_households: set[str] = set()
        self.measure_keys: set[str] = set()
        self.existing_measure_keys: list[str] = []  # record keys: 户编号#digest#n
        self.rejected_head_rows: dict[str, tuple[str, int]] = {}  # household -> where its 户主 was
        self.households_in_db: set[str] = set()  # found in the registry, not in the data set
        self.looked_up: set[str] = set()  # households already looked for in the registry
        self.existing_rows: dict[str, int] = {}  # rows in the registry before the import
        self.copy: BackgroundCopy | None = None  # writes new rows while the check goes on

    # ---- pass 1 -------------------------------------------------------------------------

    def check(self) -> None:
        for table in TABLES:
            reader = open_table(self.path, table)
            if reader is None:
                continue
            self.readers[table.name] = reader
            if reader.unknown_columns:
                self.result.warnings.append(
                    f"{reader.file_label}：未知的列 {'、'.join(reader.unknown_columns)} 不会导入"
                )
            self.pending[table.name] = _Pending(table, tempfile.TemporaryFile())
            self.result.counts[table.name] = Counter({o: 0 for o in OUTCOMES})
            self._database()
            existing = _existing_digests(table)
            self.existing_rows[table.name] = len(existing)
            if table is MEASURES:
                self.existing_measure_keys = list(existing)
            self._check_table(reader, existing)
            if table is REGIONS:
                self._database()
                self._check_parents(reader)
        self._database()
        if not self.readers:
            raise DatasetError(
                f"{self.path}：没有找到任何标准格式的表（regions、households、members、measures、villages）"
            )
        self._check_heads()

    def _batches(self, reader: TableReader) -> Iterator[RawBatch]:
        size = column_batches.BATCH_ROWS
        if not self.progress and self.on_progress is None:
            yield from raw_batches(reader, size)
            return
        total = _count_rows(self.path, reader)
        phase = f"检查 {reader.file_label}"
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=total, desc=phase, unit="行", leave=False)
        done = 0
        for batch in raw_batches(reader, size):
            yield batch
            done += len(batch)
            if bar is not None:
                bar.update(len(batch))
            if self.on_progress is not None:
                self.on_progress(phase, done, total)
        if bar is not None:
            bar.close()
        if self.on_progress is not None:
            self.on_progress(phase, done, done)

    def _check_table(self, reader: TableReader, existing: dict[str, str]) -> None:
        table = reader.table
        seen: set[str] = set()
        occurrences: Counter[str] = Counter()
        pending = self.pending[table.name]
        counts = self.result.counts[table.name]
        canonicalise = ColumnCanonicaliser(reader)
        rule_fields = RULE_FIELDS[table.name]
        for raw in self._batches(reader):
            batch = canonicalise(raw)
            columns = [batch.table.column(name).to_pylist() for name in rule_fields]
            if table in (MEMBERS, MEASURES):
                self._look_up_households(columns[rule_fields.index("household_id")])
            row_digests = digests(batch.table)
            first = batch.table.column(0).to_pylist()
            keys = first if table is MEASURES else batch.table.column(table.key[0]).to_pylist()
            if not batch.problems and self._clean_batch(table, batch, columns, seen):
                passing: Iterable[int] = range(len(keys))  # the common case of a large import
            else:
                passing = self._rows_passing(reader, raw, batch, columns, seen)
            keep: list[int] = []
            kept_keys: list[str] = []
            outcomes: list[str] = []
            for i in passing:
                row_digest = row_digests[i]
                key = keys[i]
                if table is MEASURES:
                    occurrences[key + row_digest] += 1
                    key = measure_key(key, row_digest, occurrences[key + row_digest])
                    self.measure_keys.add(key)
                old = existing.get(key) if existing else None
                if old == row_digest:
                    counts["unchanged"] += 1
                    continue
                keep.append(i)
                kept_keys.append(key)
                outcomes.append("added" if old is None else "updated")
            rows = _with_outcomes(batch, keep, kept_keys, row_digests, outcomes)
            pending.add(rows)
            if self.copy is not None and not self.result.problems:
                self.copy.put(table, rows.filter(pc.equal(rows.column("_outcome"), "added")))

    def _rows_passing(
        self,
        reader: TableReader,
        raw: RawBatch,
        batch: CanonicalBatch,
        columns: list[list[str]],
        seen: set[str],
    ) -> Iterator[int]:
        """Positions of the rows that pass, row by row; the others are rejected with reasons."""
        rule_fields = RULE_FIELDS[reader.table.name]
        for i, row_number in enumerate(batch.row_numbers):
            problems = batch.problems.get(i)
            if not problems:
                values = {n: c[i] for n, c in zip(rule_fields, columns, strict=True)}
                problems = self._row_rules(reader, row_number, values, seen)
            if problems:
                self._reject(reader, row_number, reader.as_dict(raw.raw_row(i)), problems)
                continue
            yield i

    def _clean_batch(
        self, table: Table, batch: CanonicalBatch, columns: list[list[str]], seen: set[str]
    ) -> bool:
        """The row rules of _row_rules over a whole batch at once, when no row breaks one.

        True: every row passes, and the facts the rules gather are recorded. False: nothing
        is recorded, and the batch goes row by row through _row_rules, which finds the rows
        and says what is wrong. A clean batch is the common case of a large import.
        """
        values = dict(zip(RULE_FIELDS[table.name], columns, strict=True))
        if table is MEMBERS:
            ids = values["id_number"]
            distinct = set(ids)
            if len(distinct) != len(ids) or not seen.isdisjoint(distinct):
                return False
            id_column = batch.table.column("id_number")
            born = pc.binary_join_element_wise(
                pc.utf8_slice_codeunits(id_column, 6, 10),
                pc.utf8_slice_codeunits(id_column, 10, 12),
                pc.utf8_slice_codeunits(id_column, 12, 14),
                "-",
            )
            odd = pc.is_in(pc.utf8_slice_codeunits(id_column, 16, 17), value_set=_ODD_DIGITS)
            sex = pc.if_else(odd, "男", "女")
            if not (
                pc.all(pc.equal(born, batch.table.column("birth_date"))).as_py()
                and pc.all(pc.equal(sex, batch.table.column("sex"))).as_py()
                and self._households_known(values["household_id"])
            ):
                return False
            seen |= distinct
            for household, number, relation in zip(
                values["household_id"], ids, values["relation"], strict=True
            ):
                if relation == "户主":
                    self.member_heads[household].append(number)
            self.member_households.update(values["household_id"])
            return True
        if table is HOUSEHOLDS:
            households = values["household_id"]
            distinct = set(households)
            if len(distinct) != len(households) or not seen.isdisjoint(distinct):
                return False
            villages = set(values["region_code"])
            if not all(
                self._region_exists(code) and region_codes.level_of(code) == "村"
                for code in villages
            ):
                return False
            for status, exit_year in set(zip(values["status"], values["exit_year"], strict=True)):
                if (status == "已脱贫") != bool(exit_year):
                    return False
            seen |= distinct
            self.household_rows.update(zip(households, batch.row_numbers, strict=True))
            self.household_heads.update(zip(households, values["head_id_number"], strict=True))
            return True
        if table is MEASURES:
            if not self._households_known(values["household_id"]):
                return False
            self.measure_households.update(values["household_id"])
            return True
        return False

    def _households_known(self, households: list[str]) -> bool:
        """Every household is in the data set (and not rejected) or in the registry."""
        referred = set(households)
        if not referred.isdisjoint(self.rejected_households):
            return False
        missing = referred - self.household_heads.keys()
        return missing <= self.households_in_db

    def _database(self) -> None:
        """Before the check itself asks the database: the rows being written must be in."""
        if self.copy is not None:
            self.copy.drain()

    def _look_up_households(self, households: list[str]) -> None:
        """Which of the households a batch refers to, not in the data set, are in the registry."""
        unknown = set(households) - self.household_heads.keys() - self.looked_up
        if not unknown:
            return
        from fupin.registry.models import Household

        self._database()
        wanted = sorted(unknown)
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            self.households_in_db.update(
                Household.objects.filter(household_id__in=chunk).values_list(
                    "household_id", flat=True
                )
            )
        self.looked_up |= unknown

    def _reject(
        self, reader: TableReader, row_number: int, raw: dict[str, str], problems: list[Problem]
    ) -> None:
        self.result.problems.extend(problems)
        self.result.counts[reader.table.name]["rejected"] += 1
        self.rejected_raw[reader.table.name].append(
            (row_number, raw, "；".join(p.message for p in problems))
        )
        if reader.table is HOUSEHOLDS and raw.get("household_id"):
            self.rejected_households.add(raw["household_id"])
        if reader.table is MEMBERS and raw.get("relation") in ("户主", "本人或户主", "本人"):
            self.rejected_head_rows[raw.get("household_id", "")] = (reader.file_label, row_number)

    def _row_rules(
        self,
        reader: TableReader,
        row_number: int,
        values: dict[str, str],
        seen: set[str],
    ) -> list[Problem]:
        """Rules across the cells of a row and across rows; values are canonical text."""
        table = reader.table

        def problem(column: str, message: str) -> list[Problem]:
            return [
                Problem(
                    reader.file_label,
                    row_number,
                    reader.label_of(column),
                    values.get(column, ""),
                    message,
                )
            ]

        if table is REGIONS:
            code = values["code"]
            if code in seen:
                return problem("code", "区划代码重复")
            level = region_codes.level_of(code)
            if values["level"] != level:
                return problem("level", f"区划代码{code}对应的级别应为“{level}”")
            parent = values["parent_code"]
            expected = region_codes.parent_code(code)
            if parent != (expected or ""):
                shown = expected or "空"
                return problem("parent_code", f"上级代码应为{shown}（由区划代码推出）")
            if parent:
                self.region_parents[code] = (parent, row_number)
            seen.add(code)
            self.region_codes.add(code)
            return []
        if table is HOUSEHOLDS:
            household = values["household_id"]
            if household in seen:
                return problem("household_id", "户编号重复")
            seen.add(household)
            if not self._region_exists(values["region_code"]):
                return problem("region_code", "区划代码不存在（regions 表和系统中都没有）")
            if region_codes.level_of(values["region_code"]) != "村":
                return problem("region_code", "贫困户的区划代码应为村级代码")
            if values["status"] == "已脱贫" and not values["exit_year"]:
                return problem("exit_year", "已脱贫户应填写脱贫年度")
            if values["status"] != "已脱贫" and values["exit_year"]:
                return problem("exit_year", "未脱贫的户不应填写脱贫年度")
            self.household_rows[household] = row_number
            self.household_heads[household] = values["head_id_number"]
            return []
        if table is MEMBERS:
            number = values["id_number"]
            if number in seen:
                return problem("id_number", "身份证号在数据集中重复出现")
            seen.add(number)
            # the ID has passed its check already: its birth date and sex can be read off it
            birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
            if values["birth_date"] != birth:
                return problem("birth_date", f"出生日期与身份证号不一致（身份证号中为{birth}）")
            sex = "男" if int(number[16]) % 2 else "女"
            if values["sex"] != sex:
                return problem("sex", f"性别与身份证号不一致（身份证号第17位表示{sex}）")
            household = values["household_id"]
            if household in self.rejected_households:
                return problem("household_id", f"所属户{household}有错误，未能导入")
            if household not in self.household_heads and household not in self.households_in_db:
                return problem("household_id", "户编号不存在（households 表和系统中都没有）")
            if values["relation"] == "户主":
                self.member_heads[household].append(number)
            self.member_households.add(household)
            return []
        if table is MEASURES:
            household = values["household_id"]
            if household in self.rejected_households:
                return problem("household_id", f"所属户{household}有错误，未能导入")
            if household not in self.household_heads and household not in self.households_in_db:
                return problem("household_id", "户编号不存在（households 表和系统中都没有）")
            self.measure_households.add(household)
            return []
        if table is VILLAGES:
            code = values["region_code"]
            if code in seen:
                return problem("region_code", "区划代码重复")
            seen.add(code)
            if not self._region_exists(code):
                return problem("region_code", "区划代码不存在（regions 表和系统中都没有）")
            return []
        return []

    def _check_parents(self, reader: TableReader) -> None:
        for code, (parent, row_number) in self.region_parents.items():
            if not self._region_exists(parent):
                message = f"上级区划{parent}不存在（regions 表和系统中都没有）"
                problem = Problem(
                    reader.file_label, row_number, reader.label_of("parent_code"), parent, message
                )
                self.result.problems.append(problem)
                self.result.counts["regions"]["rejected"] += 1
                self.rejected_raw["regions"].append((row_number, {"code": code}, message))

    def _region_exists(self, code: str) -> bool:
        if code in self.region_codes:
            return True
        from fupin.registry.models import Region

        self._database()
        if Region.objects.filter(code=code).exists():
            self.region_codes.add(code)
            return True
        return False

    def _check_heads(self) -> None:
        """Every household has exactly one 户主, whose ID is head_id_number."""
        if "households" not in self.readers:
            return
        reader = self.readers["households"]
        heads_from_file = "members" in self.readers
        for household, head_id in self.household_heads.items():
            if household in self.rejected_households:
                continue
            heads = (
                self.member_heads.get(household, []) if heads_from_file else _heads_in_db(household)
            )
            message = None
            if not heads and household in self.rejected_head_rows:
                file, row = self.rejected_head_rows[household]
                message = f"户主所在的 {file} 第{row}行有错误，该户未能导入"
            elif not heads:
                message = "该户在家庭成员表中没有与户主关系为“户主”的成员"
            elif len(heads) > 1:
                message = f"该户有{len(heads)}名“户主”，只能有一名"
            elif heads[0] != head_id:
                message = f"户主身份证号与家庭成员表中的户主（{idcard.mask(heads[0])}）不一致"
            if message:
                row_number = self.household_rows[household]
                problem = Problem(
                    reader.file_label,
                    row_number,
                    reader.label_of("head_id_number"),
                    head_id,
                    message,
                )
                self.result.problems.append(problem)
                self.result.counts["households"]["rejected"] += 1
                self.rejected_households.add(household)
                self.rejected_raw["households"].append(
                    (row_number, {"household_id": household}, message)
                )

    # ---- pass 2 -------------------------------------------------------------------------

    def write(self, writer: RegistryWriter | None, *, streamed: bool = False) -> None:
        """Pass 2, inside the caller's transaction; streamed: the new rows are in already.

        Without a writer, only the counts: what the import would add, update and remove.
        """
        bar = self._write_bar() if writer is not None else None
        total = sum(p.written for p in self.pending.values())
        written = 0
        for table in TABLES:
            pending = self.pending.get(table.name)
            if pending is None:
                continue
            counts = self.result.counts[table.name]
            for chunk in pending.chunks():
                chunk = self._without_rejected(table, chunk, counts)
                outcome = chunk.column("_outcome")
                new = chunk.filter(pc.equal(outcome, "added"))
                changed = chunk.filter(pc.equal(outcome, "updated"))
                if writer is not None:
                    if not streamed:
                        writer.add_columns(table, new)
                    writer.update(table, _items(table, changed))
                counts["added"] += new.num_rows
                counts["updated"] += changed.num_rows
                written += chunk.num_rows
                if bar is not None:
                    bar.update(chunk.num_rows)
                if self.on_progress is not None and writer is not None:
                    self.on_progress("写入数据库", written, total)
            if table is MEASURES:
                removed = self._removed_measures()
                if writer is not None:
                    writer.delete(MEASURES, removed)
                counts["removed"] += len(removed)
        if "households" in self.pending and writer is not None:
            link_helpers()
        if bar is not None:
            bar.close()

    def _write_bar(self):  # type: ignore[no-untyped-def]
        if not self.progress:
            return None
        from tqdm import tqdm

        total = sum(p.written for p in self.pending.values())
        return tqdm(total=total, desc="写入数据库", unit="行", leave=False)

    def _without_rejected(self, table: Table, rows: pa.Table, counts: Counter[str]) -> pa.Table:
        """Without the rows of households rejected only after their members were read."""
        if table not in (HOUSEHOLDS, MEMBERS, MEASURES) or not self.rejected_households:
            return rows
        rejected = pc.is_in(
            rows.column(0), value_set=pa.array(sorted(self.rejected_households), pa.string())
        )
        dropped = pc.sum(rejected).as_py() or 0
        if not dropped:
            return rows
        if table is not HOUSEHOLDS:  # a rejected household was counted when it was rejected
            counts["rejected"] += dropped
        return rows.filter(pc.invert(rejected))

    def _removed_measures(self) -> list[str]:
        """Measures of the households in the file that the file no longer lists."""
        households = self.measure_households | (
            set(self.household_heads) if "households" in self.readers else set()
        )
        households -= self.rejected_households
        return [
            key
            for key in self.existing_measure_keys
            if key.split("#", 1)[0] in households and key not in self.measure_keys
        ]

    # ---- rejects ------------------------------------------------------------------------

    def write_rejects(self, folder: Path) -> None:
        """The rejected rows as they were, in the data set's own columns, plus the reasons."""
        folder.mkdir(parents=True, exist_ok=True)
        for table_name, rows in self.rejected_raw.items():
            reader = self.readers[table_name]
            columns = [c for c in reader.columns if c is not None]
            headers = [reader.label_of(c) for c in columns]
            full_rows = [r for r in rows if len(r[1]) > 1]
            with (folder / f"{table_name}.csv").open("w", encoding="utf-8-sig", newline="") as out:
                w = csv.writer(out)
                w.writerow(headers)
                for _, raw, _ in sorted(full_rows, key=lambda r: r[0]):
                    w.writerow([raw.get(c, "") for c in columns])
        with (folder / "problems.csv").open("w", encoding="utf-8-sig", newline="") as out:
            w = csv.writer(out)
            w.writerow(["文件", "行", "列", "值", "问题"])
            for p in self.result.problems:
                w.writerow([p.file, p.row, p.column, p.value, p.message])
        self.result.rejects_dir = folder


def _existing_digests(table: Table) -> dict[str, str]:
    db_table = DB_TABLES[table.name]
    key = KEY_COLUMNS[table.name]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key}, digest FROM {db_table}")
        return dict(cursor.fetchall())


def _items(table: Table, rows: pa.Table) -> list[tuple[str, Row, str]]:
    """Spooled rows as (key, canonical row, digest) for the row-by-row writes."""
    if rows.num_rows == 0:
        return []
    fields = zip(*(rows.column(name).to_pylist() for name in table.field_names), strict=True)
    return list(
        zip(
            rows.column("_key").to_pylist(), fields, rows.column("_digest").to_pylist(), strict=True
        )
    )


def _with_outcomes(
    batch: CanonicalBatch,
    keep: list[int],
    keys: list[str],
    row_digests: list[str],
    outcomes: list[str],
) -> pa.Table:
    """The rows to write, with their key, digest and outcome."""
    rows = batch.table.take(pa.array(keep, pa.int64()))
    rows = rows.append_column("_key", pa.array(keys, pa.string()))
    rows = rows.append_column(
        "_digest", pa.array(row_digests, pa.string()).take(pa.array(keep, pa.int64()))
    )
    return rows.append_column("_outcome", pa.array(outcomes, pa.string()))


def _heads_in_db(household: str) -> list[str]:
    from fupin.registry.models import Member

    return list(
        Member.objects.filter(household_id=household, relation="户主").values_list(
            "id_number", flat=True
        )
    )


def _count_rows(path: Path, reader: TableReader) -> int | None:
    if not path.is_dir():
        return None
    with (path / reader.table.file_name).open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1


class _Refused(Exception):
    """Problems found and keep_valid not asked: the transaction is rolled back."""


class _Unstream(Exception):
    """Problems found after new rows were streamed: undo them and write row set by row set."""


def import_dataset(
    path: Path,
    *,
    keep_valid: bool = False,
    user_id: int | None = None,
    effective: dt.date | None = None,
    rejects_dir: Path | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
    check_only: bool = False,
) -> ImportResult:
    """Import a data set; all or nothing unless keep_valid. See the module docstring.

    progress draws tqdm bars on the terminal; on_progress reports the same to a caller.
    check_only runs the first pass alone: the problems and counts, nothing written.

    On PostgreSQL the new rows of a clean data set are written while the check goes on (see
    BackgroundCopy), inside the one transaction: when the check finds a problem, they are
    rolled back, and the import is either refused or, with keep_valid, written afresh from
    the checked rows.
    """
    path = Path(path)
    importer = _Importer(path, keep_valid=keep_valid, progress=progress, on_progress=on_progress)
    run = ImportRun.objects.create(source=str(path), user_id=user_id)
    now = _effective_time(effective)
    writer = RegistryWriter(now=now, user_id=user_id, source=f"导入 {path.name}")
    result = importer.result
    if check_only:
        importer.check()
        importer.write(None)
        _finish(run, result)
        return result
    try:
        with transaction.atomic(), bulk_load(*_expected_rows(path)):
            if connection.vendor == "postgresql":
                streamed = _check_writing_new_rows(importer, writer)
            else:
                importer.check()
                streamed = False
            if result.problems and not keep_valid:
                raise _Refused
            importer.write(writer, streamed=streamed)
            result.committed = True
    except _Refused:
        pass
    if result.problems and rejects_dir is not None:
        importer.write_rejects(rejects_dir)
    _finish(run, result)
    return result


def _check_writing_new_rows(importer: _Importer, writer: RegistryWriter) -> bool:
    """The check, with the new rows written meanwhile; whether they stayed written.

    Inside a savepoint: if the check finds any problem, the rows written so far are undone.
    """
    try:
        with transaction.atomic():
            importer.copy = BackgroundCopy(writer)
            try:
                importer.check()
            finally:
                importer.copy.close()
                importer.copy = None
            if importer.result.problems:
                raise _Unstream
    except _Unstream:
        return False
    return True


def _finish(run: ImportRun, result: ImportResult) -> None:
    run.finished_at = timezone.now()
    run.counts = {t: dict(c) for t, c in result.counts.items()}
    run.problems = len(result.problems)
    run.committed = result.committed
    run.save()


def _expected_rows(path: Path) -> tuple[int, int]:
    """Rows the data set holds and rows the registry holds, for bulk_load's choice."""
    in_file = 0
    for table in TABLES:
        reader = open_table(path, table) if path.is_dir() else None
        if reader is not None:
            in_file += _count_rows(path, reader) or 0
            reader.close()
    if not in_file:
        return 0, 0
    with connection.cursor() as cursor:
        in_registry = 0
        for db_table in DB_TABLES.values():
            cursor.execute(f"SELECT count(*) FROM {db_table}")
            in_registry += cursor.fetchone()[0]
    return in_file, in_registry


def _effective_time(effective: dt.date | None) -> dt.datetime:
    if effective is None:
        return timezone.now()
    moment = timezone.make_aware(dt.datetime.combine(effective, dt.time.min))
    from fupin.registry.models import RecordVersion

    latest = (
        RecordVersion.objects.order_by("-valid_from").values_list("valid_from", flat=True).first()
    )
    if latest is not None and moment < latest:
        raise DatasetError(
            f"生效日期{effective.isoformat()}早于系统中最近一次变更（{timezone.localtime(latest):%Y-%m-%d %H:%M}），"
            "历史记录只能向后追加"
        )
    return moment

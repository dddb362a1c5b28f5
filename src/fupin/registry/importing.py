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
import itertools
import pickle
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.db import connection, transaction
from django.utils import timezone

from fupin.engine import idcard
from fupin.engine.standard_format import HOUSEHOLDS, MEASURES, MEMBERS, REGIONS, VILLAGES, Table
from fupin.engine.tables import DatasetError, Problem, RowCanonicaliser, TableReader, open_table
from fupin.registry import regions as region_codes
from fupin.registry.canonical import (
    DB_TABLES,
    KEY_COLUMNS,
    TABLES,
    Row,
    digest,
    measure_key,
)
from fupin.registry.models import ImportRun
from fupin.registry.writing import RegistryWriter, link_helpers

OUTCOMES = ("added", "updated", "unchanged", "rejected", "removed")
OUTCOME_LABELS = {
    "added": "新增",
    "updated": "更新",
    "unchanged": "未变",
    "rejected": "拒绝",
    "removed": "删除",
}

# on_progress(phase, done, total): called every few thousand rows, so a caller (the site's
# import page) can show a progress bar; total is None when it cannot be known in advance.
ProgressCallback = Callable[[str, int, int | None], None]
PROGRESS_EVERY = 10_000


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


@dataclass
class _Pending:
    """Rows of one table waiting to be written, spooled to disk in chunks."""

    table: Table
    spool: IO[bytes]
    chunk: list[tuple[str, str, Row, str]] = field(
        default_factory=list
    )  # (outcome, key, row, digest)
    households: list[str] = field(default_factory=list)  # household of each spooled row

    written: int = 0

    def add(self, outcome: str, key: str, row: Row, row_digest: str) -> None:
        self.written += 1
        self.chunk.append((outcome, key, row, row_digest))
        if len(self.chunk) >= 20_000:
            self.flush()

    def flush(self) -> None:
        if self.chunk:
            pickle.dump(self.chunk, self.spool, protocol=pickle.HIGHEST_PROTOCOL)
            self.chunk = []

    def chunks(self) -> Iterator[list[tuple[str, str, Row, str]]]:
        self.flush()
        self.spool.seek(0)
        while True:
            try:
                yield pickle.load(self.spool)
            except EOFError:
                return


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
            existing = _existing_digests(table)
            if table is MEASURES:
                self.existing_measure_keys = list(existing)
            self._check_table(reader, existing)
            if table is REGIONS:
                self._check_parents(reader)
        if not self.readers:
            raise DatasetError(
                f"{self.path}：没有找到任何标准格式的表（regions、households、members、measures、villages）"
            )
        self._check_heads()

    def _rows(self, reader: TableReader) -> Iterator[tuple[int, list[object]]]:
        if not self.progress and self.on_progress is None:
            yield from reader.raw_rows()
            return
        total = _count_rows(self.path, reader)
        phase = f"检查 {reader.file_label}"
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=total, desc=phase, unit="行", leave=False)
        done = 0
        for item in reader.raw_rows():
            yield item
            done += 1
            if done % PROGRESS_EVERY == 0:
                if bar is not None:
                    bar.update(PROGRESS_EVERY)
                if self.on_progress is not None:
                    self.on_progress(phase, done, total)
        if bar is not None:
            bar.update(done % PROGRESS_EVERY)
            bar.close()
        if self.on_progress is not None:
            self.on_progress(phase, done, done)

    def _check_table(self, reader: TableReader, existing: dict[str, str]) -> None:
        table = reader.table
        seen: set[str] = set()
        occurrences: Counter[str] = Counter()
        pending = self.pending[table.name]
        counts = self.result.counts[table.name]
        to_canonical = RowCanonicaliser(reader)
        names = table.field_names
        key_index = names.index(table.key[0])
        batch: list[tuple[int, list[object]]] = []
        rows = self._rows(reader)
        while True:
            batch = list(itertools.islice(rows, 10_000))
            if not batch:
                break
            raw_by_number = dict(batch)
            for row_number, row, problems in to_canonical.batch(batch):
                if not problems:
                    values = dict(zip(names, row, strict=True))
                    problems = self._row_rules(reader, row_number, values, seen)
                if problems:
                    self._reject(
                        reader, row_number, reader.as_dict(raw_by_number[row_number]), problems
                    )
                    continue
                row_digest = digest(row)
                if table is MEASURES:
                    household = row[0]
                    occurrences[household + row_digest] += 1
                    key = measure_key(household, row_digest, occurrences[household + row_digest])
                    self.measure_keys.add(key)
                else:
                    key = row[key_index]
                old = existing.get(key)
                if old == row_digest:
                    counts["unchanged"] += 1
                    continue
                pending.add("added" if old is None else "updated", key, row, row_digest)

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
            if household not in self.household_heads and not _household_in_db(household):
                return problem("household_id", "户编号不存在（households 表和系统中都没有）")
            if values["relation"] == "户主":
                self.member_heads[household].append(number)
            self.member_households.add(household)
            return []
        if table is MEASURES:
            household = values["household_id"]
            if household in self.rejected_households:
                return problem("household_id", f"所属户{household}有错误，未能导入")
            if household not in self.household_heads and not _household_in_db(household):
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

    def write(self, *, user_id: int | None, now: dt.datetime) -> None:
        writer = RegistryWriter(now=now, user_id=user_id, source=f"导入 {self.path.name}")
        bar = self._write_bar()
        total = sum(p.written for p in self.pending.values())
        written = 0
        with transaction.atomic():
            for table in TABLES:
                pending = self.pending.get(table.name)
                if pending is None:
                    continue
                counts = self.result.counts[table.name]
                for chunk in pending.chunks():
                    chunk = [item for item in chunk if not self._dropped(table, item[2], counts)]
                    added = [(k, r, d) for o, k, r, d in chunk if o == "added"]
                    updated = [(k, r, d) for o, k, r, d in chunk if o == "updated"]
                    writer.add(table, added)
                    writer.update(table, updated)
                    counts["added"] += len(added)
                    counts["updated"] += len(updated)
                    written += len(added) + len(updated)
                    if bar is not None:
                        bar.update(len(added) + len(updated))
                    if self.on_progress is not None:
                        self.on_progress("写入数据库", written, total)
                if table is MEASURES:
                    removed = self._removed_measures()
                    writer.delete(MEASURES, removed)
                    counts["removed"] += len(removed)
            if "households" in self.pending:
                link_helpers()
        if bar is not None:
            bar.close()
        self.result.committed = True

    def _write_bar(self):  # type: ignore[no-untyped-def]
        if not self.progress:
            return None
        from tqdm import tqdm

        total = sum(p.written for p in self.pending.values())
        return tqdm(total=total, desc="写入数据库", unit="行", leave=False)

    def _dropped(self, table: Table, row: Row, counts: Counter[str]) -> bool:
        """Rows of a household that was rejected only after its members were read."""
        if table in (MEMBERS, MEASURES) and row[0] in self.rejected_households:
            counts["rejected"] += 1
            return True
        return table is HOUSEHOLDS and row[0] in self.rejected_households

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


def _household_in_db(household: str) -> bool:
    from fupin.registry.models import Household

    return Household.objects.filter(household_id=household).exists()


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


def import_dataset(
    path: Path,
    *,
    keep_valid: bool = False,
    user_id: int | None = None,
    effective: dt.date | None = None,
    rejects_dir: Path | None = None,
    progress: bool = False,
    on_progress: ProgressCallback | None = None,
) -> ImportResult:
    """Import a data set; all or nothing unless keep_valid. See the module docstring.

    progress draws tqdm bars on the terminal; on_progress reports the same to a caller.
    """
    path = Path(path)
    importer = _Importer(path, keep_valid=keep_valid, progress=progress, on_progress=on_progress)
    run = ImportRun.objects.create(source=str(path), user_id=user_id)
    importer.check()
    result = importer.result
    if result.problems and rejects_dir is not None:
        importer.write_rejects(rejects_dir)
    if not result.problems or keep_valid:
        now = _effective_time(effective)
        importer.write(user_id=user_id, now=now)
    run.finished_at = timezone.now()
    run.counts = {t: dict(c) for t, c in result.counts.items()}
    run.problems = len(result.problems)
    run.committed = result.committed
    run.save()
    return result


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

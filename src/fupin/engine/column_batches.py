"""A table of the standard format as batches of Arrow columns, checked and canonicalised.

This is the import's inner loop. A regular CSV file is read whole by Arrow's CSV reader as
string columns (one copy of its text in memory, about the size of the file; the batches are
slices of it, and what the import keeps of them goes to a spool on disk), then canonicalised
a batch at a time, column by column, on the distinct values only: a column of fifty thousand
cells usually holds a few dozen enumeration values or a few thousand amounts, so the Python rules of `values.py` run once per distinct value and Arrow
spreads the answers back over the rows. ID numbers, which are all distinct, are checked by the
vectorised `idcard.valid_mask`.

Files Arrow cannot read as a plain grid (rows with too few or too many cells) and workbooks go
through the row reader of `tables.py` and are turned into the same batches, so both paths give
the same rows, row numbers and problems.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from fupin.engine import idcard
from fupin.engine.standard_format import Field
from fupin.engine.tables import DatasetError, Problem, TableReader
from fupin.engine.values import Canonicaliser, CellError, clean

BATCH_ROWS = 50_000

# Cell texts that are already in canonical form (what format_value would write back), by
# field type: most amounts, counts and years in a real file are, and need no parse at all.
_ALREADY_CANONICAL = {
    "money": r"^(0|[1-9][0-9]{0,14})(\.[0-9]?[1-9])?$",
    "decimal": r"^(0|[1-9][0-9]{0,14})(\.[0-9]{0,5}[1-9])?$",
    "int": r"^(0|[1-9][0-9]{0,14})$",
    "year": r"^(198[0-9]|199[0-9]|20[0-9][0-9]|2100)$",
}


@dataclass
class RawBatch:
    """Rows of one file as it has them: a string column per file column, blank rows removed."""

    row_numbers: list[int]  # spreadsheet row numbers (the header is row 1)
    columns: list[pa.Array]  # in file column order

    def __len__(self) -> int:
        return len(self.row_numbers)

    def raw_row(self, position: int) -> list[str]:
        return [c[position].as_py() for c in self.columns]


@dataclass
class CanonicalBatch:
    """Canonical text of every field (in the table's field order) and the problems by position."""

    row_numbers: list[int]
    table: pa.Table  # one string column per field of the standard format
    problems: dict[int, list[Problem]]
    raw: RawBatch


def raw_batches(reader: TableReader, size: int = BATCH_ROWS) -> Iterator[RawBatch]:
    """The reader's rows in batches: Arrow's reader for a regular CSV file, else the row reader."""
    table = _arrow_csv(reader)
    if table is None:
        yield from _row_batches(reader, size)
        return
    for start in range(0, table.num_rows, size):
        part = table.slice(start, size)
        numbers = list(range(start + 2, start + 2 + part.num_rows))
        columns = [c.combine_chunks() for c in part.columns]
        yield _without_blank_rows(RawBatch(numbers, columns))


def _arrow_csv(reader: TableReader) -> pa.Table | None:
    """The whole file as string columns, or None when it is not a regular grid."""
    if reader.csv_path is None:
        return None
    irregular = False

    def on_invalid_row(row: object) -> str:
        nonlocal irregular
        irregular = True
        return "skip"

    width = len(reader.columns)
    names = [f"c{i}" for i in range(width)]
    try:
        table = pa_csv.read_csv(
            reader.csv_path,
            read_options=pa_csv.ReadOptions(skip_rows=1, column_names=names, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid_row,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            raise DatasetError(
                f"{reader.file_label}：文件不是UTF-8编码，请另存为“CSV UTF-8”"
            ) from None
        return None  # something Arrow's reader does not take: the row reader will say what
    if irregular:
        return None
    reader.close()  # the row reader's handle is not needed
    return table


def _row_batches(reader: TableReader, size: int) -> Iterator[RawBatch]:
    width = len(reader.columns)
    rows = reader.raw_rows()
    while True:
        items = list(itertools.islice(rows, size))
        if not items:
            return
        cells = [
            [c if type(c) is str else clean(c) for c in cells]  # noqa: E721
            for _, cells in items
        ]
        cells = [r if len(r) == width else (r + [""] * width)[:width] for r in cells]
        columns = [pa.array(col, pa.string()) for col in zip(*cells, strict=True)]
        yield RawBatch([number for number, _ in items], columns)


def _without_blank_rows(batch: RawBatch) -> RawBatch:
    """Blank lines in spreadsheets are not rows (their numbers still count)."""
    if not batch.columns:
        return batch
    blank = pc.equal(batch.columns[0], "")
    for column in batch.columns[1:]:
        blank = pc.and_(blank, pc.equal(column, ""))
    if not pc.any(blank).as_py():
        return batch
    keep = pc.invert(blank)
    numbers = [n for n, k in zip(batch.row_numbers, keep.to_pylist(), strict=True) if k]
    return RawBatch(numbers, [c.filter(keep) for c in batch.columns])


class ColumnCanonicaliser:
    """Raw batches of one reader to canonical text columns, with the problems of each row."""

    def __init__(self, reader: TableReader) -> None:
        self.reader = reader
        where = {name: i for i, name in enumerate(reader.columns) if name is not None}
        self.steps = [(f, where.get(f.name), Canonicaliser(f)) for f in reader.table.fields]

    def __call__(self, batch: RawBatch) -> CanonicalBatch:
        problems: dict[int, list[Problem]] = {}
        out: list[pa.Array] = []
        n = len(batch)
        for f, column, step in self.steps:
            if column is None:
                out.append(self._absent(f, step, batch, problems))
            else:
                out.append(self._column(f, step, batch.columns[column], batch, problems))
        table = pa.table(out, names=list(self.reader.table.field_names))
        assert table.num_rows == n
        return CanonicalBatch(batch.row_numbers, table, problems, batch)

    def _absent(
        self, f: Field, step: Canonicaliser, batch: RawBatch, problems: dict[int, list[Problem]]
    ) -> pa.Array:
        return self._column(f, step, pa.array([""] * len(batch), pa.string()), batch, problems)

    def _column(
        self,
        f: Field,
        step: Canonicaliser,
        cells: pa.Array,
        batch: RawBatch,
        problems: dict[int, list[Problem]],
    ) -> pa.Array:
        if f.type == "id":
            # all distinct: check the whole column at once, parse only the doubtful ones
            values = cells.to_pylist()
            answers, failures = self._answers(f, step, values, idcard.valid_mask(values))
            canonical = pa.array(answers, pa.string())
            failing = sorted(failures)
            messages = failures
        else:
            encoded = cells.dictionary_encode()
            uniques = encoded.dictionary.to_pylist()
            if f.type == "text":
                stripped = [u.strip() for u in uniques]
                ok = [not (f.required and (not v or "\u3000" in v)) for v in stripped]
            else:
                get = step.answers.get
                stripped = [get(u) for u in uniques]
                pattern = _ALREADY_CANONICAL.get(f.type)
                if pattern is not None:
                    plain = pc.match_substring_regex(encoded.dictionary, pattern).to_pylist()
                    stripped = [
                        u if p else v for u, v, p in zip(uniques, stripped, plain, strict=True)
                    ]
                ok = [type(v) is str for v in stripped]  # noqa: E721
            answers, unique_failures = self._answers(f, step, uniques, ok, stripped)
            canonical = pa.array(answers, pa.string()).take(encoded.indices)
            if not unique_failures:
                return canonical
            bad = pa.array(sorted(unique_failures), pa.int32())
            failing = pc.indices_nonzero(pc.is_in(encoded.indices, value_set=bad)).to_pylist()
            index_of = encoded.indices
            messages = {i: unique_failures[index_of[i].as_py()] for i in failing}
        label = self.reader.label_of(f.name)
        for i in failing:
            raw = cells[i].as_py()
            problems.setdefault(i, []).append(
                Problem(
                    self.reader.file_label, batch.row_numbers[i], label, clean(raw), messages[i]
                )
            )
        return canonical

    @staticmethod
    def _answers(
        f: Field,
        step: Canonicaliser,
        values: list[str],
        ok: list[bool],
        quick: list[str] | None = None,
    ) -> tuple[list[str], dict[int, str]]:
        """Canonical text of each value (the quick answer where ok) and the failures' messages."""
        out = list(values if quick is None else quick)
        failures: dict[int, str] = {}
        for i, good in enumerate(ok):
            if good:
                continue
            try:
                out[i] = step(values[i])
            except CellError as error:
                out[i] = ""
                failures[i] = str(error)
        return out, failures

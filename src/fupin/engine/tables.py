"""Streaming readers for data sets in the standard format: a CSV folder or an XLSX workbook.

Rows are read one at a time so that a million-member file is never held in memory whole.
Each row comes with its spreadsheet row number (the header is row 1).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fupin.engine.standard_format import Field, Table
from fupin.engine.values import CellError, Value, clean, parse_cell


class DatasetError(ValueError):
    """The data set as a whole cannot be read (missing file, missing column, bad workbook)."""


@dataclass(frozen=True)
class Problem:
    """One rejected value: where it is and which rule it breaks."""

    file: str
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file} 第{self.row}行"
        if self.column:
            where += f" “{self.column}”列"
        value = f"，值“{self.value}”" if self.value else ""
        return f"{where}{value}：{self.message}"

    def as_row(self) -> dict[str, str | int]:
        return {
            "文件": self.file,
            "行": self.row,
            "列": self.column,
            "值": self.value,
            "问题": self.message,
        }


@dataclass
class TableReader:
    table: Table
    file_label: str  # as shown to the user: members.csv, or data.xlsx[members]
    header: list[str]  # the header cells as the file has them
    columns: list[str | None]  # field name of each column, None for an unknown one
    _rows: Iterator[list[object]] = field(repr=False)
    csv_path: Path | None = None  # the file, when it is CSV (see column_batches)
    _handle: IO[str] | None = field(default=None, repr=False)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()

    @property
    def unknown_columns(self) -> list[str]:
        return [h for h, c in zip(self.header, self.columns, strict=True) if c is None and h]

    def label_of(self, field_name: str) -> str:
        """The column heading as the file wrote it (Chinese or English)."""
        for h, c in zip(self.header, self.columns, strict=True):
            if c == field_name:
                return h
        return self.table.field(field_name).label

    def raw_rows(self) -> Iterator[tuple[int, list[object]]]:
        """Rows as the file has them (cells in file column order), blank rows skipped."""
        for offset, cells in enumerate(self._rows):
            if any(cells):
                yield offset + 2, cells

    def as_dict(self, cells: list[object]) -> dict[str, str]:
        return {
            name: clean(cell)
            for name, cell in zip(self.columns, cells, strict=False)
            if name is not None
        }

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        for offset, cells in enumerate(self._rows):
            row: dict[str, str] = {}
            for name, cell in zip(self.columns, cells, strict=False):
                if name is not None:
                    row[name] = clean(cell)
            if not any(row.values()):
                continue  # blank lines in spreadsheets are not rows
            yield offset + 2, row


def dataset_kind(path: Path) -> str:
    if path.is_dir():
        return "folder"
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return "xlsx"
    if path.suffix.lower() == ".csv":
        return "csv"
    raise DatasetError(f"{path}：既不是文件夹，也不是 .xlsx 工作簿或 .csv 文件")


def open_table(path: Path, table: Table) -> TableReader | None:
    """The reader for one table of a data set, or None when the data set lacks it."""
    kind = dataset_kind(path)
    if kind == "folder":
        file = path / table.file_name
        if not file.exists():
            return None
        return _csv_reader(file, table, file.name)
    if kind == "csv":
        if path.stem != table.name:
            return None
        return _csv_reader(path, table, path.name)
    return _xlsx_reader(path, table)


def _csv_reader(file: Path, table: Table, label: str) -> TableReader:
    handle = file.open(encoding="utf-8-sig", newline="")
    try:
        rows = csv.reader(handle)
        header = next(rows, None)
    except UnicodeDecodeError:
        handle.close()
        raise DatasetError(f"{label}：文件不是UTF-8编码，请另存为“CSV UTF-8”") from None
    if header is None:
        handle.close()
        raise DatasetError(f"{label}：文件为空，缺少表头")

    def cells() -> Iterator[list[object]]:
        try:
            for line in rows:
                yield list(line)
        except UnicodeDecodeError:
            raise DatasetError(f"{label}：文件不是UTF-8编码，请另存为“CSV UTF-8”") from None
        finally:
            handle.close()

    reader = _reader(table, label, header, cells())
    reader.csv_path = file
    reader._handle = handle
    return reader


def _xlsx_reader(path: Path, table: Table) -> TableReader | None:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise DatasetError(f"{path.name}：无法读取工作簿（{exc}）") from None
    if table.name not in book.sheet_names:
        return None
    sheet = book.get_sheet_by_name(table.name)
    rows = sheet.iter_rows()
    header = next(rows, None)
    if header is None:
        return None
    cells: Iterator[list[object]] = iter(rows)  # type: ignore[arg-type]
    return _reader(table, f"{path.name}[{table.name}]", [clean(h) for h in header], cells)


def _reader(
    table: Table, label: str, header: list[str], rows: Iterator[list[object]]
) -> TableReader:
    known = table.header_map()
    columns: list[str | None] = []
    seen: set[str] = set()
    for h in header:
        name = known.get(h.strip()) or known.get(h.strip().lower())
        if name in seen:
            raise DatasetError(f"{label} 第1行：列“{h}”重复")
        if name:
            seen.add(name)
        columns.append(name)
    missing = [f for f in table.fields if f.required and f.name not in seen]
    if missing:
        names = "、".join(f"{f.label}({f.name})" for f in missing)
        raise DatasetError(f"{label} 第1行：缺少必需的列 {names}")
    return TableReader(table, label, [h.strip() for h in header], columns, rows)


def parse_row(
    reader: TableReader, row_number: int, raw: dict[str, str]
) -> tuple[dict[str, Value], list[Problem]]:
    """Typed values of a row (absent columns as empty cells) and the problems found."""
    values: dict[str, Value] = {}
    problems: list[Problem] = []
    for f in reader.table.fields:
        text = raw.get(f.name, "")
        try:
            values[f.name] = parse_cell(f, text)
        except CellError as exc:
            problems.append(
                Problem(reader.file_label, row_number, reader.label_of(f.name), text, str(exc))
            )
            values[f.name] = None
    return values, problems


def field_of(table: Table, name: str) -> Field:
    return table.field(name)

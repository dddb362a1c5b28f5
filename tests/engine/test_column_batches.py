"""The column canonicaliser gives what the cell parser gives, on every path it takes."""

import random
import re

import pyarrow as pa
import pytest

from fupin.engine.column_batches import _ALREADY_CANONICAL, ColumnCanonicaliser, RawBatch
from fupin.engine.standard_format import HOUSEHOLDS, MEMBERS, VILLAGES
from fupin.engine.tables import TableReader
from fupin.engine.values import Canonicaliser, CellError, format_value, parse_cell

FIELDS = {f.type: f for t in (VILLAGES, MEMBERS, HOUSEHOLDS) for f in reversed(t.fields)}
SAMPLES = [
    "0", "00", "0.0", "0.5", "0.50", "1", "10", "100", "1.05", "1.005", "1e3", "12.345", "007",
    "1980", "1979", "2100", "2101", "123456789012345", "1234567890123456", "0.000001", "-5",
    "5.000010", "3.14159", " 12", "1,200", "１２",
]  # fmt: skip
rng = random.Random(7)
SAMPLES += [
    str(rng.randint(0, 10**7)) + rng.choice(["", ".5", ".25", ".05", ".50", ".1", ".0"])
    for _ in range(3000)
]


@pytest.mark.parametrize("field_type", sorted(_ALREADY_CANONICAL))
def test_texts_taken_as_canonical_are_what_the_parser_writes(field_type):
    f = FIELDS[field_type]
    for text in SAMPLES:
        if re.match(_ALREADY_CANONICAL[field_type], text):
            assert format_value(f, parse_cell(f, text)) == text


def reader(table):
    return TableReader(
        table, f"{table.name}.csv", list(table.field_names), list(table.field_names), iter(())
    )


@pytest.mark.parametrize("table", [HOUSEHOLDS, MEMBERS, VILLAGES], ids=lambda t: t.name)
def test_columns_agree_with_the_cell_parser(table):
    """Random mixes of good and bad cells: same canonical text, same problems, same rows."""
    pools = {
        f.name: ["", " x ", "是", "否", "Y", "1", "0", "12.50", "-3", "abc", "2017-02-29",
                 "2016-02-29", "2017/1/5", "1990", *f.values[:4], *list(f.synonyms)[:2]]
        for f in table.fields
    }  # fmt: skip
    rows = [[rng.choice(pools[name]) for name in table.field_names] for _ in range(400)]
    batch = RawBatch(
        list(range(2, 402)), [pa.array(c, pa.string()) for c in zip(*rows, strict=True)]
    )
    result = ColumnCanonicaliser(reader(table))(batch)
    for i, row in enumerate(rows):
        expected, messages = [], []
        for f, cell in zip(table.fields, row, strict=True):
            try:
                expected.append(Canonicaliser(f)(cell))
            except CellError as error:
                expected.append("")
                messages.append(str(error))
        got = [result.table.column(n)[i].as_py() for n in table.field_names]
        assert got == expected
        assert [p.message for p in result.problems.get(i, [])] == messages
        assert all(p.row == i + 2 for p in result.problems.get(i, []))

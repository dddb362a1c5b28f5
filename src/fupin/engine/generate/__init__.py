"""The demo data generator: a realistic synthetic data set in the standard format (FORMAT.md).

    generate(out, counties=2, households_per_county=500, seed=1)

writes `regions.csv`, `households.csv`, `members.csv`, `measures.csv`, `villages.csv`, the
department rosters (`roster_*.csv`) and `planted.csv`, the ground truth of the errors planted
in the rosters (one row per error: kind, roster, household_id, id_number, detail).

Facts the comparison tests rely on:

- The data describe 31 December of `year` (default 2019): ages are full years on that date
  (`REFERENCE_DATE`), roster years are `year`.
- Every registered child aged 6-15 (COMPULSORY_AGES) is 在读 in roster_students and in school in
  members.csv, unless planted as `dropout`. Every registered member is in roster_medical unless
  planted as `uninsured_medical`; every registered member aged 16+ not at school is in
  roster_pension (参保, or 领取待遇 from 60) unless planted as `pension_gap`.
- roster_civil lists every member of the 低保贫困户 (低保) and 特困供养贫困户 (特困) households,
  except `dibao_flag_mismatch` rows (a 低保/特困 household missing, or an 一般贫困户 listed as
  低保, one planted row per household with the head's ID), plus the members of non-registered
  households planted as `dibao_not_registered` (household_id empty, the head's ID).
- roster_housing has a row for the head of every household (registered or not); its grade equals
  the registry's housing_grade, and no 已脱贫 household is graded C or D, except `danger_house`.
- roster_disabled lists every registered member whose health includes 残疾, non-registered
  disabled people, and `disabled_mismatch` members (registry health without 残疾).
- No registered member is in roster_vehicles, roster_business or roster_public_employees except
  `wrongly_listed` ones (one planted row per person, roster says which).
- Roster records of registered people carry their true ID, name and birth date except
  `id_invalid` (wrong check character, two adjacent characters swapped, or missing), `name_typo`
  and `birth_transposed` (month and day swapped) records: at most one such error per record,
  never on a record that is itself the evidence of another planted row.
- Helpers (帮扶责任人) have names unique in the data set and help 1-6 households; every household
  of a helper with more than 5 (HELPER_CAP) is planted as `helper_over_cap` (roster empty).
- Every 已脱贫 household meets the household exit standard (两不愁三保障 as Yunnan 2017 words
  it: income >= 3,600 a head, also after schooling costs; no C/D house; relocation self funds
  <= 10,000 and no debt; no dropout aged 6-15 unless disabled; all members medically insured;
  members 16+ not at school in the pension scheme; a family doctor; out-of-pocket medical
  costs <= 8,000; water piped or within 1 km), except the households with a `wrong_exit` row
  (roster empty; detail lists what fails). Those failures come from the planted dropouts,
  uninsured members and pension gaps whose registry flags show them, danger houses, and
  relocated households over the funding limits.
- The registry itself passes the usual logic checks: a cause 因病/因残/因学 has a sick, disabled
  or schooled member; 特困 households have nobody of 16-65 able to work; business income comes
  with business expense; exited households are at or above 3,600 yuan per head; no spouse has
  the head's sex; no child under 15 is in senior school.

With `rosters=False` the roster-based rows are left out of planted.csv (the registry still has
the planted dropouts' 非在校生 and the uninsured members' 否).

The same arguments always produce byte-identical files (CSV and XLSX). Each county is generated on its
own random stream, in numpy arrays, and streamed to disk before the next one starts.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from fupin.engine import idcard
from fupin.engine.generate.county import (
    COMPULSORY_AGES,
    HELPER_CAP,
    PENSION_AGE,
    PENSION_PAYOUT_AGE,
    PLANTED_FIELDS,
    PLANTED_KINDS,
    make_county,
)
from fupin.engine.generate.regions import Province, build_province
from fupin.engine.standard_format import REGIONS, REGISTRY_TABLES, ROSTER_TABLES, Table

__all__ = [
    "COMPULSORY_AGES",
    "DEFAULT_YEAR",
    "HELPER_CAP",
    "PENSION_AGE",
    "PENSION_PAYOUT_AGE",
    "PLANTED_FIELDS",
    "PLANTED_KINDS",
    "GenerateSummary",
    "generate",
    "reference_date",
]

DEFAULT_YEAR = 2019
PLANTED_FILE = "planted.csv"
WORKBOOK_NAME = "data.xlsx"
# a sheet holds 1,048,576 rows; the medical roster has about 5.3 rows a household
XLSX_MAX_HOUSEHOLDS = 150_000


def reference_date(year: int = DEFAULT_YEAR) -> dt.date:
    """The day the generated data describe: ages are counted in full years on this date."""
    return dt.date(year, 12, 31)


@dataclass
class GenerateSummary:
    out: Path  # the folder (csv) or the workbook (xlsx)
    rows: dict[str, int] = field(default_factory=dict)
    planted: dict[str, int] = field(default_factory=dict)

    @property
    def members(self) -> int:
        return self.rows.get("members", 0)


class _Sink(Protocol):
    def write(self, table: Table, data: pa.Table) -> None: ...
    def close(self) -> None: ...


class _CsvSink:
    """One CSV file per table, English field names as header, UTF-8, no quoting."""

    def __init__(self, folder: Path, tables: list[Table]) -> None:
        self.writers: dict[str, Any] = {}
        self.files: list[Any] = []
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        for table in tables:
            schema = pa.schema([(name, pa.string()) for name in table.field_names])
            handle = (folder / table.file_name).open("wb")
            handle.write((",".join(table.field_names) + "\n").encode())
            self.files.append(handle)
            self.writers[table.name] = pacsv.CSVWriter(handle, schema, write_options=options)

    def write(self, table: Table, data: pa.Table) -> None:
        if data.num_rows:
            self.writers[table.name].write_table(data)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        for handle in self.files:
            handle.close()


class _XlsxSink:
    """One workbook, one sheet per table (openpyxl write-only mode): for small data sets."""

    def __init__(self, path: Path, tables: list[Table]) -> None:
        from openpyxl import Workbook

        self.path = path
        self.book = Workbook(write_only=True)
        self.sheets: dict[str, Any] = {}
        for table in tables:
            sheet = self.book.create_sheet(table.name)
            sheet.append(list(table.field_names))
            self.sheets[table.name] = sheet

    def write(self, table: Table, data: pa.Table) -> None:
        sheet = self.sheets[table.name]
        columns = [data.column(name).to_pylist() for name in table.field_names]
        for row in zip(*columns, strict=True):
            sheet.append(list(row))

    def close(self) -> None:
        fixed = dt.datetime(2020, 1, 1)
        self.book.properties.created = fixed
        self.book.properties.modified = fixed
        self.book.save(self.path)
        _fix_zip_times(self.path)


def _fix_zip_times(path: Path) -> None:
    """Same workbook bytes for the same seed: fixed entry times and modification date."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, content in entries:
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2020-01-01T00:00:00Z\g<2>",
                    content,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, content)


def generate(
    out: Path | str,
    *,
    counties: int = 1,
    households_per_county: int = 500,
    seed: int = 0,
    province: str = "53",
    rosters: bool = True,
    fmt: str = "csv",
    year: int = DEFAULT_YEAR,
    progress: bool | Callable[[int], None] = False,
) -> GenerateSummary:
    """Write a synthetic data set to the folder `out` (created if needed).

    `progress`: True for a tqdm bar on stderr (only when stderr is a terminal), or a callable
    that receives the number of households written after each county.
    """
    if counties < 1 or households_per_county < 1:
        raise ValueError("counties and households_per_county must be at least 1")
    if province not in idcard.PROVINCE_CODES:
        raise ValueError(f"不是有效的省级行政区划代码：{province}")
    if not 2016 <= year <= dt.date.today().year:
        raise ValueError(f"数据年度应在2016年至今年之间：{year}")
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"format must be csv or xlsx: {fmt}")
    if fmt == "xlsx" and counties * households_per_county > XLSX_MAX_HOUSEHOLDS:
        raise ValueError(
            f"XLSX 工作簿每张表最多约104万行，只适合不超过{XLSX_MAX_HOUSEHOLDS}户的小数据集，请改用 CSV"
        )
    out = Path(out)
    if fmt == "xlsx" and out.suffix.lower() == ".xlsx":
        folder, book = out.parent, out
    else:
        folder, book = out, out / WORKBOOK_NAME
    folder.mkdir(parents=True, exist_ok=True)

    region_seq, county_root = np.random.SeedSequence(seed).spawn(2)
    prov = build_province(
        province, counties, households_per_county, np.random.default_rng(region_seq)
    )
    county_seeds = county_root.spawn(counties)

    streamed = [t for t in REGISTRY_TABLES if t is not REGIONS]
    if rosters:
        streamed += list(ROSTER_TABLES)
    all_tables = [REGIONS, *streamed]
    sink: _Sink = _CsvSink(folder, streamed) if fmt == "csv" else _XlsxSink(book, all_tables)
    summary = GenerateSummary(folder if fmt == "csv" else book)
    summary.rows = {t.name: 0 for t in all_tables}
    summary.planted = dict.fromkeys(PLANTED_KINDS, 0)
    bar, tick = _progress(progress, counties * households_per_county)
    helper_names: set[str] = set()
    try:
        with (folder / PLANTED_FILE).open("w", encoding="utf-8", newline="") as planted_file:
            planted = csv.writer(planted_file, lineterminator="\n")
            planted.writerow(PLANTED_FIELDS)
            for county in prov.counties:
                rng = np.random.default_rng(county_seeds[county.index])
                result = make_county(
                    county,
                    households_per_county,
                    year,
                    rng,
                    rosters=rosters,
                    used_names=helper_names,
                )
                county.village_population = result.village_population
                for table in streamed:
                    data = result.tables[table.name]
                    sink.write(table, data)
                    summary.rows[table.name] += data.num_rows
                for row in result.planted:
                    planted.writerow(row)
                    summary.planted[row[0]] += 1
                tick(households_per_county)
        regions = _regions_table(prov)
        summary.rows[REGIONS.name] = regions.num_rows
        if fmt == "csv":
            regions_sink = _CsvSink(folder, [REGIONS])
            regions_sink.write(REGIONS, regions)
            regions_sink.close()
        else:
            sink.write(REGIONS, regions)
    finally:
        sink.close()
        if bar is not None:
            bar.close()
    return summary


def _progress(
    progress: bool | Callable[[int], None], total: int
) -> tuple[Any, Callable[[int], None]]:
    if callable(progress):
        return None, progress
    if not progress or not sys.stderr.isatty():
        return None, lambda n: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="户", desc="生成", file=sys.stderr)
    return bar, bar.update


def _regions_table(prov: Province) -> pa.Table:
    """Province, its cities, then each county followed by its townships and their villages."""
    rows: list[tuple[str, str, str, str, str, str]] = []
    county_pop = {c.code: int(c.village_population.sum()) for c in prov.counties}
    city_pop: dict[str, int] = {}
    for c in prov.counties:
        city_pop[c.city.code] = city_pop.get(c.city.code, 0) + county_pop[c.code]
    rows.append((prov.code, prov.name, "省", "", "", str(sum(county_pop.values()))))
    for city in prov.cities:
        rows.append((city.code, city.name, "市", prov.code, "", str(city_pop[city.code])))
        for c in prov.counties:
            if c.city is not city:
                continue
            rows.append((c.code, c.name, "县", city.code, c.flag, str(county_pop[c.code])))
            for t, (t_code, t_name) in enumerate(
                zip(c.township_codes, c.township_names, strict=True)
            ):
                villages = np.flatnonzero(c.village_township == t)
                t_pop = int(c.village_population[villages].sum())
                rows.append((t_code, t_name, "乡", c.code, "", str(t_pop)))
                for v in villages:
                    rows.append(
                        (
                            c.village_codes[v],
                            c.village_names[v],
                            "村",
                            t_code,
                            ("深度贫困村", "贫困村", "非贫困村")[int(c.village_flag[v])],
                            str(int(c.village_population[v])),
                        )
                    )
    columns = list(zip(*rows, strict=True))
    return pa.table(
        [pa.array(list(col), pa.string()) for col in columns], names=list(REGIONS.field_names)
    )

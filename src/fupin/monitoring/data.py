"""The registry's current rows as DuckDB tables, so the engine's SQL runs on them unchanged.

Rows are read with the exporter's `current_rows` (the canonical standard-format values of each
record's current version, scoped to a region) and cast to typed Arrow columns the way a freeze
does. Measures assigned in monitoring cases are added to the measures table, so they count as
support measures still active.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import duckdb
import pyarrow as pa

from fupin.engine.dataset import open_dataset, resolve_snapshot
from fupin.engine.monitoring.policy import MonitoringPolicy, load_monitoring_policy
from fupin.engine.standard_format import HOUSEHOLDS, MEASURES, MEMBERS, REGIONS, Table
from fupin.registry.exporting import current_rows
from fupin.registry.freezing import to_arrow


@cache
def policy() -> MonitoringPolicy:
    """The monitoring policy the site uses (policies/monitoring-2018.yaml)."""
    return load_monitoring_policy()


def registry_connection(
    region: str | None = None, household_ids: list[str] | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the current registry (of a region) as typed tables."""
    con = duckdb.connect()
    for table in (REGIONS, HOUSEHOLDS, MEMBERS):
        rows = list(current_rows(table, region))
        if household_ids is not None and table is not REGIONS:
            wanted = set(household_ids)
            index = table.field_names.index("household_id")
            rows = [r for r in rows if r[index] in wanted]
        arrow = to_arrow(table, rows)
        con.register(f"_{table.name}", arrow)
        con.execute(f"CREATE TABLE {table.name} AS SELECT * FROM _{table.name}")
        con.unregister(f"_{table.name}")
    rows = list(current_rows(MEASURES, region))
    rows += _case_measure_rows(region)
    if household_ids is not None:
        rows = [r for r in rows if r[0] in set(household_ids)]
    arrow = to_arrow(MEASURES, rows) if rows else _empty(MEASURES)
    con.register("_measures", arrow)
    con.execute("CREATE TABLE measures AS SELECT * FROM _measures")
    con.unregister("_measures")
    return con


def _empty(table: Table) -> pa.Table:
    return to_arrow(table, [])


def _case_measure_rows(region: str | None) -> list[tuple[str, ...]]:
    from fupin.monitoring.models import CaseMeasure

    qs = CaseMeasure.objects.filter(case__household__isnull=False)
    if region:
        from fupin.registry import regions

        low, high = regions.subtree_range(region)
        qs = qs.filter(case__region_id__gte=low, case__region_id__lte=high)
    out = []
    for household_id, assigned_on, kind, description, amount in qs.values_list(
        "case__household_id", "assigned_on", "kind", "description", "amount"
    ):
        out.append((household_id, str(assigned_on.year), kind, description, f"{amount:.2f}"))
    return out


def dataset_connection(data: str | None, snapshot: str | None) -> duckdb.DuckDBPyConnection:
    """A data set folder or workbook, or a snapshot by id or path (for the CLI)."""
    if snapshot:
        return open_dataset(resolve_snapshot(snapshot))
    if data:
        return open_dataset(data)
    raise ValueError("需要 --data 或 --snapshot")


def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()

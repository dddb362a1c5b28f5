"""Run SQL plans on Apache Spark (PySpark). Tests use local mode; a cluster is the same code
with another master. PySpark is imported only here, so the default path never needs it.

The data reach Spark as Arrow tables taken from the typed DuckDB tables of `open_dataset`, so
both engines see the same types; the SQL is the same plan, written by sqlglot for Spark.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from fupin.engine.dataset import sql_type
from fupin.engine.sql_plan import Step
from fupin.engine.standard_format import REGISTRY_TABLES

_SESSION: Any = None
_SPARK_TYPES = {"VARCHAR": "STRING"}


def spark_session() -> Any:
    """One local Spark session per process, started on first use."""
    global _SESSION
    if _SESSION is None:
        from pyspark.sql import SparkSession

        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        _SESSION = (
            SparkSession.builder.master(os.environ.get("FUPIN_SPARK_MASTER", "local[2]"))
            .appName("fupin")
            .config("spark.sql.shuffle.partitions", os.environ.get("FUPIN_SPARK_PARTITIONS", "2"))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.memory", os.environ.get("FUPIN_SPARK_DRIVER_MEMORY", "1g"))
            .getOrCreate()
        )
        _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def stop_spark_session() -> None:
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None


class SparkExecutor:
    dialect = "spark"

    def __init__(self, spark: Any | None = None) -> None:
        self.spark = spark if spark is not None else spark_session()
        self._cached: list[Any] = []

    def register_arrow(self, name: str, table: pa.Table) -> None:
        frame = self.spark.createDataFrame(table)
        frame.createOrReplaceTempView(name)

    def register_duckdb_tables(self, con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
        for name in names:
            self.register_arrow(name, con.sql(f'SELECT * FROM "{name}"').to_arrow_table())

    def register_snapshot(self, folder: Path) -> None:
        """The registry tables of a snapshot, read by Spark straight from its Parquet files
        (no copy through the driver), typed as `open_dataset` types them."""
        for table in REGISTRY_TABLES:
            file = folder / f"{table.name}.parquet"
            have: set[str] = set()
            if file.is_file():
                frame = self.spark.read.parquet(str(file))
                have = set(frame.columns)
                frame.createOrReplaceTempView("fupin_snapshot_source")
            items = []
            for f in table.fields:
                target = _SPARK_TYPES.get(sql_type(f), sql_type(f))
                if f.name in have:
                    value = f"CAST(`{f.name}` AS {target})"
                    if f.type == "money":
                        value = f"COALESCE({value}, 0)"
                else:
                    value = f"CAST({'0' if f.type == 'money' else 'NULL'} AS {target})"
                items.append(f"{value} AS `{f.name}`")
            source = "FROM fupin_snapshot_source" if have else "WHERE FALSE"
            self.spark.sql(f"SELECT {', '.join(items)} {source}").createOrReplaceTempView(
                table.name
            )

    def create_step(self, step: Step) -> None:
        frame = self.spark.sql(step.sql(self.dialect))
        if step.materialize:
            frame = frame.cache()
            self._cached.append(frame)
        frame.createOrReplaceTempView(step.name)

    def fetch(self, name: str) -> pa.Table:
        table: pa.Table = self.spark.table(name).toArrow()
        return table

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()

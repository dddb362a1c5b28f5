"""Run SQL plans on DuckDB (the embedded default engine)."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from fupin.engine.sql_plan import Step


class DuckDBExecutor:
    dialect = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def create_step(self, step: Step) -> None:
        kind = "TEMPORARY TABLE" if step.materialize else "TEMPORARY VIEW"
        self.con.execute(f'CREATE OR REPLACE {kind} "{step.name}" AS {step.sql(self.dialect)}')

    def fetch(self, name: str) -> pa.Table:
        return self.con.sql(f'SELECT * FROM "{name}"').to_arrow_table()

    def close(self) -> None:
        """The connection belongs to the caller."""

"""DuckDB settings the engine changes while it runs a plan, and puts back."""

from __future__ import annotations

import duckdb

from fupin.engine.duckdb_executor import joins_as_written


def _disabled(con: duckdb.DuckDBPyConnection) -> str:
    [(value,)] = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()
    return str(value)


def test_join_sides_as_written_only_inside_and_the_setting_put_back() -> None:
    con = duckdb.connect()
    with joins_as_written(con):
        assert "build_side_probe_side" in _disabled(con)
    assert _disabled(con) == ""


def test_a_callers_own_disabled_optimizers_are_kept() -> None:
    con = duckdb.connect()
    con.execute("SET disabled_optimizers = 'join_order'")
    with joins_as_written(con):
        assert set(_disabled(con).split(",")) == {"join_order", "build_side_probe_side"}
    assert _disabled(con) == "join_order"


def test_the_setting_is_put_back_when_the_query_fails() -> None:
    con = duckdb.connect()
    try:
        with joins_as_written(con):
            con.execute("SELECT * FROM no_such_table")
    except duckdb.CatalogException:
        pass
    assert _disabled(con) == ""

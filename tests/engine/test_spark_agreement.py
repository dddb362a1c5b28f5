"""DuckDB and Spark run the same compiled plan on one generated county and agree on every
verdict. One local Spark session for the whole module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fupin.engine.dataset import open_dataset
from fupin.engine.exit_evaluation import ExitResults, evaluate, evaluate_households
from fupin.engine.generate import generate, reference_date
from fupin.engine.standard_format import REGISTRY_TABLES

pytestmark = pytest.mark.spark

# Blank some answers so that unknown criteria and 数据不全 verdicts are compared too.
BLANKS = (
    "UPDATE households SET food_secure = NULL WHERE hash(household_id) % 11 = 0",
    "UPDATE households SET housing_grade = NULL WHERE hash(household_id) % 13 = 1",
    "UPDATE members SET medical_insured = NULL WHERE hash(id_number) % 37 = 2",
    "UPDATE members SET school_status = NULL WHERE hash(id_number) % 41 = 3",
    "UPDATE villages SET tv_coverage = NULL WHERE hash(region_code) % 3 = 0",
)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from fupin.engine.spark_executor import stop_spark_session

    folder: Path = tmp_path_factory.mktemp("county")
    generate(folder, counties=1, households_per_county=400, seed=7, rosters=False)
    con = open_dataset(folder, tables=[t.name for t in REGISTRY_TABLES])
    for statement in BLANKS:
        con.execute(statement)
    # the same data as a snapshot, which Spark reads from its Parquet files directly
    snapshot = folder / "snapshot"
    snapshot.mkdir()
    for table in REGISTRY_TABLES:
        con.execute(f"COPY {table.name} TO '{snapshot / table.name}.parquet' (FORMAT PARQUET)")
    (snapshot / "manifest.json").write_text("{}", encoding="utf-8")
    as_of = reference_date()
    try:
        yield {
            "duckdb": evaluate(con, "yunnan-2017", as_of, engine="duckdb"),
            "spark": evaluate(con, "yunnan-2017", as_of, engine="spark"),
            "spark_snapshot": evaluate(snapshot, "yunnan-2017", as_of, engine="spark"),
            # the households-only path: one query on DuckDB, the plan's steps on Spark
            "households_duckdb": evaluate_households(snapshot, "yunnan-2017", as_of),
            "households_spark": evaluate_households(
                snapshot, "yunnan-2017", as_of, engine="spark", columns=CSV_COLUMNS
            ),
        }
    finally:
        stop_spark_session()


CSV_COLUMNS = ["household_id", "status", "per_capita_net_income", "verdict", "gaps"]


def rows(table: Any, key: str) -> list[dict[str, Any]]:
    out = sorted(table.to_pylist(), key=lambda r: r[key])
    for row in out:
        for name, value in row.items():
            if isinstance(value, float):
                row[name] = round(value, 9)
    return out


class TestDuckdbAndSparkAgree:
    def test_the_generated_county_has_every_kind_of_verdict(
        self, results: dict[str, ExitResults]
    ) -> None:
        counts = results["duckdb"].summary["households"]["by_verdict"]
        assert all(n > 0 for n in counts.values()), counts
        assert results["duckdb"].households.num_rows == 400

    def test_every_household_verdict_agrees(self, results: dict[str, ExitResults]) -> None:
        duck, spark = results["duckdb"].households, results["spark"].households
        assert duck.column_names == spark.column_names
        assert rows(duck, "household_id") == rows(spark, "household_id")

    def test_every_village_verdict_agrees(self, results: dict[str, ExitResults]) -> None:
        duck, spark = results["duckdb"].villages, results["spark"].villages
        assert duck.num_rows > 0
        assert rows(duck, "region_code") == rows(spark, "region_code")

    def test_every_county_verdict_agrees(self, results: dict[str, ExitResults]) -> None:
        assert rows(results["duckdb"].counties, "region_code") == rows(
            results["spark"].counties, "region_code"
        )

    def test_the_summaries_agree_apart_from_the_engine(
        self, results: dict[str, ExitResults]
    ) -> None:
        duck = dict(results["duckdb"].summary, engine="")
        spark = dict(results["spark"].summary, engine="")
        assert duck == spark

    def test_spark_reading_the_snapshot_directly_agrees_too(
        self, results: dict[str, ExitResults]
    ) -> None:
        duck, spark = results["duckdb"], results["spark_snapshot"]
        assert rows(duck.households, "household_id") == rows(spark.households, "household_id")
        assert rows(duck.villages, "region_code") == rows(spark.villages, "region_code")

    def test_the_households_only_evaluation_agrees_on_both_engines(
        self, results: dict[str, Any]
    ) -> None:
        full = results["duckdb"].households
        assert rows(results["households_duckdb"], "household_id") == rows(full, "household_id")
        assert results["households_spark"].column_names == CSV_COLUMNS
        assert rows(results["households_spark"], "household_id") == rows(
            full.select(CSV_COLUMNS), "household_id"
        )

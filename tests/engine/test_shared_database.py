"""Snapshots are evaluated on one DuckDB database per process (duckdb_executor.shared_connection):
each evaluation still sees only its own snapshot, nothing it creates outlives it, concurrent
evaluations do not mix, and a forked process gets a database of its own."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from fupin.engine.dataset import open_dataset
from fupin.engine.duckdb_executor import shared_connection
from fupin.engine.exit_evaluation import evaluate, evaluate_households, explain_household
from fupin.engine.standard_format import REGISTRY_TABLES
from tests.engine.exit_data import AS_OF, household, member, write_dataset

COLUMNS = ["household_id", "verdict", "failed_criteria"]


def make_snapshot(folder: Path, households: list[dict], members: list[dict]) -> Path:
    data = write_dataset(folder / "data", households, members)
    con = open_dataset(data, tables=[t.name for t in REGISTRY_TABLES])
    snapshot = folder / "snapshot"
    snapshot.mkdir()
    for table in REGISTRY_TABLES:
        con.execute(f"COPY {table.name} TO '{snapshot / table.name}.parquet' (FORMAT PARQUET)")
    (snapshot / "manifest.json").write_text("{}", encoding="utf-8")
    return snapshot


@pytest.fixture
def two_snapshots(tmp_path: Path) -> tuple[Path, Path]:
    """A: two households, A1 short of income. B: one household without a family doctor."""
    a = make_snapshot(
        tmp_path / "a",
        [household("A1", wage_income="2000"), household("A2")],
        [member("A1"), member("A2")],
    )
    b = make_snapshot(tmp_path / "b", [household("B1", family_doctor="否")], [member("B1")])
    return a, b


def verdicts(snapshot: Path) -> list[tuple[str, str, str]]:
    table = evaluate_households(snapshot, "yunnan-2017", AS_OF, columns=COLUMNS)
    return sorted(tuple(r.values()) for r in table.to_pylist())  # type: ignore[misc]


EXPECTED_A = [("A1", "未达标", "income"), ("A2", "达标", "")]
EXPECTED_B = [("B1", "未达标", "family_doctor")]


def test_each_evaluation_sees_only_its_own_snapshot(two_snapshots: tuple[Path, Path]) -> None:
    a, b = two_snapshots
    assert verdicts(a) == EXPECTED_A
    assert verdicts(b) == EXPECTED_B
    assert verdicts(a) == EXPECTED_A
    assert explain_household(b, "yunnan-2017", "A1", AS_OF) is None
    assert evaluate(a, "yunnan-2017", AS_OF).summary["households"]["total"] == 2


def test_nothing_an_evaluation_creates_outlives_it(two_snapshots: tuple[Path, Path]) -> None:
    a, _ = two_snapshots
    evaluate(a, "yunnan-2017", AS_OF, county_facts={"530102": {"rural_income_growth": 8.0}})
    explain_household(a, "yunnan-2017", "A1", AS_OF)
    verdicts(a)
    con = shared_connection()
    left = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog <> 'system'"
    ).fetchall()
    assert left == []


def test_concurrent_evaluations_do_not_mix(two_snapshots: tuple[Path, Path]) -> None:
    a, b = two_snapshots
    results: dict[str, list[list[tuple[str, str, str]]]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def work(name: str, snapshot: Path) -> None:
        try:
            for _ in range(8):
                results[name].append(verdicts(snapshot))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=("a", a)),
        threading.Thread(target=work, args=("b", b)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results["a"] == [EXPECTED_A] * 8
    assert results["b"] == [EXPECTED_B] * 8


def _evaluate_in_child(snapshot: Path, queue: multiprocessing.Queue) -> None:
    queue.put(verdicts(snapshot))


def test_a_forked_process_evaluates_on_a_database_of_its_own(
    two_snapshots: tuple[Path, Path],
) -> None:
    a, b = two_snapshots
    assert verdicts(a) == EXPECTED_A  # the parent's database exists before the fork
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_evaluate_in_child, args=(b, queue))
    child.start()
    got = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert got == EXPECTED_B
    assert verdicts(a) == EXPECTED_A

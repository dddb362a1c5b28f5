"""SQL built apart from running it: a plan is a list of named SELECT steps (sqlglot trees), each
step a view over the tables and the steps before it; an executor runs a plan on one engine.

Compilers return plans; `engine.duckdb_executor` and `engine.spark_executor` run them. The SQL
text for an engine is written by sqlglot for that engine's dialect, from the same trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa
from sqlglot import exp


@dataclass(frozen=True)
class Step:
    name: str
    query: exp.Query
    materialize: bool = False  # computed once and kept (a temp table / a cached DataFrame)
    # SQL text per dialect, written once: a cached plan is run again without sqlglot
    _text: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def sql(self, dialect: str) -> str:
        text = self._text.get(dialect)
        if text is None:
            text = self._text[dialect] = self.query.sql(dialect=dialect)
        return text


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    outputs: dict[str, str] = field(default_factory=dict)  # output name -> step name

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def sql(self, dialect: str, *, pretty: bool = True) -> str:
        """The whole plan as view definitions, for reading and for golden tests."""
        out = []
        for s in self.steps:
            body = s.query.sql(dialect=dialect, pretty=pretty)
            out.append(f"-- {s.name}\nCREATE OR REPLACE TEMPORARY VIEW {s.name} AS\n{body};")
        return "\n\n".join(out)


class Executor(Protocol):
    """What an engine must offer to run plans."""

    dialect: str

    def create_step(self, step: Step) -> None:
        """Define the step as a view (or table) named step.name, from its SQL in `dialect`."""

    def fetch(self, name: str) -> pa.Table:
        """All rows of a table, view or step as an Arrow table."""

    def close(self) -> None: ...


def run_plan(
    executor: Executor, plan: Plan, outputs: Sequence[str] | None = None
) -> dict[str, pa.Table]:
    for step in plan.steps:
        executor.create_step(step)
    wanted = list(plan.outputs) if outputs is None else list(outputs)
    return {name: executor.fetch(plan.outputs[name]) for name in wanted}

"""failed_criteria: the ids of the failed criteria, sorted and joined by ';' (issue 3). Up to
16 exit criteria at a level the plan looks the list up by the bit mask of the failed ones;
with more it builds the list per row. Both give the same lists. (The village and county
lists, looked up too, are tested in test_exit_village_and_county.)"""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb

from fupin.engine.exit_evaluation import evaluate_households
from fupin.engine.policy.compiler import _failed_names, compile_exit_plan
from fupin.engine.policy.loading import Policy, load_policy
from tests.engine.exit_data import AS_OF, household, member, write_dataset

# three more criteria: 17 exit criteria, over the limit of the lookup
EXTRA = "".join(
    f"    - id: zz_{name}\n      name: 附加{name}\n      dimension: 扶持\n"
    f"      expression: {expression}\n      source: {{seed: x.txt, item: '1'}}\n"
    for name, expression in [
        ("a", "wage_income >= 0"),
        ("b", "member_count >= 1"),
        ("c", "wage_income >= 1000"),
    ]
)


def extended_policy(tmp_path: Path) -> Policy:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "many-1.yaml").write_text(
        f"id: many-1\nname: 十七项\nextends: yunnan-2017\ncriteria:\n  household:\n{EXTRA}",
        encoding="utf-8",
    )
    return load_policy(folder / "many-1.yaml")


def test_every_mask_names_its_failed_criteria_sorted() -> None:
    plan = compile_exit_plan(load_policy("yunnan-2017"), AS_OF, households_only=True)
    exits = sorted(plan.criteria["household"], key=lambda c: c.criterion.id)
    ids = [c.criterion.id for c in exits]
    assert len(ids) == 14
    rows = duckdb.sql(_failed_names(exits).sql(dialect="duckdb")).fetchall()
    assert len(rows) == 2**14
    expected = {
        sum(1 << ids.index(i) for i in chosen): ";".join(chosen)
        for n in range(len(ids) + 1)
        for chosen in itertools.combinations(ids, n)
    }
    assert dict(rows) == expected


def test_a_level_with_more_criteria_builds_the_lists_per_row(tmp_path: Path) -> None:
    policy = extended_policy(tmp_path)
    plan = compile_exit_plan(policy, AS_OF, households_only=True)
    assert not any(s.name.endswith("failed_names") for s in plan.plan.steps)
    hh = [
        household("H1", wage_income="500", family_doctor="否"),
        household("H2", family_doctor="否"),
        household("H3", food_secure=""),
        household("H4"),
    ]
    members = [member(h["household_id"]) for h in hh]
    folder = write_dataset(tmp_path / "data", hh, members)
    columns = ["household_id", "failed_criteria", "unknown_criteria", "passed", "verdict"]
    many = {
        r["household_id"]: r
        for r in evaluate_households(folder, policy, AS_OF, columns=columns).to_pylist()
    }
    assert many["H1"]["failed_criteria"] == "family_doctor;income;zz_c"
    assert many["H2"]["failed_criteria"] == "family_doctor"
    assert (many["H3"]["failed_criteria"], many["H3"]["verdict"]) == ("", "数据不全")
    assert (many["H4"]["failed_criteria"], many["H4"]["passed"]) == ("", True)

    # the same households on yunnan-2017 (14 criteria, looked up): the same lists without zz_
    few = {
        r["household_id"]: r
        for r in evaluate_households(folder, "yunnan-2017", AS_OF, columns=columns).to_pylist()
    }
    for household_id, row in many.items():
        kept = [i for i in row["failed_criteria"].split(";") if i and not i.startswith("zz_")]
        assert few[household_id]["failed_criteria"] == ";".join(kept)
        assert few[household_id]["verdict"] == row["verdict"]

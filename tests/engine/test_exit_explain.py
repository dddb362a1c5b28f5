"""explain_household (for the household page) and the analysts' Python API."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fupin.engine.dataset import open_dataset
from fupin.engine.exit_evaluation import (
    evaluate,
    evaluate_households,
    explain_household,
    summary_json,
)
from tests.engine.exit_data import (
    AS_OF,
    VILLAGE,
    born_aged,
    household,
    member,
    region,
    write_dataset,
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_dataset(
        tmp_path / "data",
        [
            household(
                "H1", status="已脱贫", wage_income="2950", housing_grade="C", housing_renovated="否"
            ),
            household("H2", family_doctor=""),
        ],
        [
            member("H1"),
            member(
                "H1",
                birth_date=born_aged(10),
                relation="之子",
                school_status="小学",
                pension_insured="",
            ),
            member("H2"),
        ],
    )


class TestExplainHousehold:
    def test_it_gives_the_verdict_every_criterion_and_the_gaps(self, folder: Path) -> None:
        explained = explain_household(folder, "yunnan-2017", "H1", AS_OF)
        assert explained is not None
        assert explained["verdict"] == "未达标"
        assert explained["policy"] == {"id": "yunnan-2017", "name": "云南省2017年贫困退出标准"}
        assert explained["source"] == str(folder)
        assert explained["as_of"] == "2017-12-31"
        assert explained["failed_criteria"] == ["housing_safe", "income"]
        assert explained["gaps"] == [
            "住房安全等级为C级危房，且未改造入住",
            "人均纯收入1,475元，低于标准3,200元",
        ]
        results = {c["id"]: c["result"] for c in explained["criteria"]}
        assert results["income"] == "未达标"
        assert results["relocation_funds"] == "不适用"
        assert results["compulsory_education"] == "达标"
        assert results["pension"] == "达标"  # the child of ten is not asked for a pension
        income = next(c for c in explained["criteria"] if c["id"] == "income")
        assert income["source"] == "000_7b83ec534104c8fb.txt 第1(1)项"
        assert income["gap"] == "人均纯收入1,475元，低于标准3,200元"

    def test_an_unknown_criterion_is_shown_as_incomplete(self, folder: Path) -> None:
        explained = explain_household(folder, "yunnan-2017", "H2", AS_OF)
        assert explained is not None
        assert explained["verdict"] == "数据不全"
        assert explained["unknown_criteria"] == ["family_doctor"]
        results = {c["id"]: c["result"] for c in explained["criteria"]}
        assert results["family_doctor"] == "数据不全"

    def test_an_unknown_household_gives_none(self, folder: Path) -> None:
        assert explain_household(folder, "yunnan-2017", "H404", AS_OF) is None

    def test_it_agrees_with_the_full_evaluation(self, folder: Path) -> None:
        full = {
            r["household_id"]: r
            for r in evaluate(folder, "yunnan-2017", AS_OF).households.to_pylist()
        }
        for hid in ("H1", "H2"):
            explained = explain_household(folder, "yunnan-2017", hid, AS_OF)
            assert explained is not None
            assert explained["verdict"] == full[hid]["verdict"]
            assert "；".join(explained["gaps"]) == full[hid]["gaps"]


class TestPythonApi:
    def test_results_come_as_arrow_tables_and_pandas_frames(self, folder: Path) -> None:
        results = evaluate(folder, "yunnan-2017", AS_OF)
        assert results.households.num_rows == 2
        frame = results.to_pandas()
        assert list(frame.sort_values("household_id")["verdict"]) == ["未达标", "数据不全"]
        assert results.summary["possible_wrong_exits"]["count"] == 1

    def test_the_households_only_evaluation_gives_the_rows_of_the_full_one(
        self, folder: Path
    ) -> None:
        full = evaluate(folder, "yunnan-2017", AS_OF).households
        alone = evaluate_households(folder, "yunnan-2017", AS_OF)
        assert alone.schema == full.schema
        assert alone.sort_by("household_id").equals(full.sort_by("household_id"))

    def test_only_the_columns_asked_for_come_back_in_that_order(self, folder: Path) -> None:
        wanted = ["gaps", "household_id", "passed"]
        table = evaluate_households(folder, "yunnan-2017", AS_OF, columns=wanted)
        assert table.column_names == wanted
        full = evaluate_households(folder, "yunnan-2017", AS_OF)
        assert table.sort_by("household_id").equals(full.select(wanted).sort_by("household_id"))

    def test_an_unknown_column_is_refused_by_name(self, folder: Path) -> None:
        with pytest.raises(ValueError, match="没有结果列“gap_text”"):
            evaluate_households(folder, "yunnan-2017", AS_OF, columns=["household_id", "gap_text"])


class TestSummaryFile:
    def test_summary_json_reads_back_as_the_summary(self, folder: Path, tmp_path: Path) -> None:
        results = evaluate(folder, "yunnan-2017", AS_OF)
        files = results.write(tmp_path / "out")
        assert json.loads(files["summary"].read_text("utf-8")) == results.summary
        # H1 is marked 已脱贫 but fails income (2,950 / 2) and housing (C, not renovated)
        assert results.summary["possible_wrong_exits"]["households"] == [
            {
                "household_id": "H1",
                "region_code": household("H1")["region_code"],
                "failed_criteria": ["housing_safe", "income"],
            }
        ]

    def test_the_summary_is_built_from_the_results_when_first_read(self, tmp_path: Path) -> None:
        """Built lazily (most callers want only the tables), so it must not need the source:
        here the data's folder is gone and the DuckDB connection it was read on closed."""
        data = write_dataset(
            tmp_path / "data",
            [household("H1", status="已脱贫", wage_income="2950"), household("H2")],
            [member("H1"), member("H2"), member("H2")],
            regions=[region(population="40")],
        )
        con = open_dataset(data)
        results = evaluate(con, "yunnan-2017", AS_OF)
        con.close()
        shutil.rmtree(data)
        summary = results.summary
        assert summary is results.summary  # built once
        assert summary["households"]["by_status"] == {"已脱贫": 1, "未脱贫": 1}
        assert [h["household_id"] for h in summary["possible_wrong_exits"]["households"]] == ["H1"]
        [village] = [r for r in summary["incidence"] if r["level"] == "村"]
        # the regions' name and population come with the results: H2's 2 members of 40 are poor
        assert village == {
            "region_code": VILLAGE,
            "name": "示范村",
            "level": "村",
            "population": 40,
            "poor_population": 2,
            "incidence": 5.0,
        }

    def test_possible_wrong_exits_are_one_line_each(self) -> None:
        """Indented like the rest, one household a line, ids with quotes and braces kept."""
        households = [
            {"household_id": 'H1}, {"x', "region_code": "5", "failed_criteria": ["food"]},
            {"household_id": "H2", "region_code": "中", "failed_criteria": ["income", "water"]},
            {"household_id": "H3", "region_code": "6", "failed_criteria": []},
        ]
        summary = {
            "as_of": "2017-12-31",
            "possible_wrong_exits": {"count": 3, "households": households},
            "incidence": [{"region_code": "5", "incidence": 1.5}],
        }
        text = summary_json(summary)
        assert json.loads(text) == summary
        lines = text.splitlines()
        start = lines.index('    "households": [')
        assert lines[start + 1 : start + 5] == [
            '      {"household_id": "H1}, {\\"x", "region_code": "5", "failed_criteria": ["food"]},',
            '      {"household_id": "H2", "region_code": "中", "failed_criteria": ["income", "water"]},',
            '      {"household_id": "H3", "region_code": "6", "failed_criteria": []}',
            "    ]",
        ]
        assert summary_json({"possible_wrong_exits": {"count": 0, "households": []}}) == (
            '{\n  "possible_wrong_exits": {\n    "count": 0,\n    "households": []\n  }\n}'
        )

"""Reading filled-in survey sheets (survey.csv of FORMAT.md) and attaching a plan's design."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fupin.engine.assessment.reports import read_plan, write_plan_xlsx
from fupin.engine.assessment.sampling import SamplingParams, draw_plan
from fupin.engine.assessment.simulation import synthetic_county
from fupin.engine.assessment.survey import (
    SurveyError,
    apply_plan,
    read_survey,
    survey_from_rows,
)

HEADER = (
    "户编号,区划代码,建档立卡户,系统状态,家庭人口,达到脱贫标准,应纳未纳,漏评人口,不应纳入,认可\n"
)


def write(path: Path, body: str, header: str = HEADER) -> Path:
    path.write_text(header + body, encoding="utf-8")
    return path


class TestReading:
    def test_a_survey_with_chinese_headers_is_read_with_typed_values(self, tmp_path: Path) -> None:
        path = write(
            tmp_path / "survey.csv",
            "H1,530102001001,是,已脱贫,4,否,,0,否,是\n,530102001001,否,非贫困户,3,,是,,,否\n",
        )
        survey = read_survey(path)
        rows = survey.rows.to_dicts()
        assert rows[0]["registered"] is True and rows[0]["meets_exit_standard"] is False
        assert rows[1]["household_id"] is None and rows[1]["should_be_registered"] is True
        assert rows[1]["row"] == 3

    def test_a_survey_file_under_another_name_is_read_too(self, tmp_path: Path) -> None:
        path = write(tmp_path / "第一组调查.csv", "H1,530102001001,是,已脱贫,4,是,,0,否,是\n")
        assert read_survey(path).rows.height == 1

    def test_every_problem_is_reported_with_row_and_column_and_nothing_is_read(
        self, tmp_path: Path
    ) -> None:
        path = write(
            tmp_path / "survey.csv",
            "H1,530102001001,是,已脱贫,4,是,是,0,否,是\n"  # registered but 应纳未纳
            "H2,530102000000,是,已脱贫,2,是,,0,否,是\n"  # county code, not a village
            ",530102001001,否,非贫困户,2,,否,3,,是\n"  # more missed than people, and 否
            "H4,530102001001,是,已脱贫,两,是,,0,否,是\n",  # not a number
        )
        with pytest.raises(SurveyError) as info:
            read_survey(path)
        text = str(info.value)
        assert "未导入" in text
        assert "survey.csv 第2行 “应纳未纳”列" in text
        assert "第3行 “区划代码”列" in text and "村级" in text
        assert "第4行 “漏评人口”列" in text
        assert "第5行 “家庭人口”列" in text
        assert len(info.value.problems) == 5

    def test_a_household_surveyed_twice_is_refused(self, tmp_path: Path) -> None:
        path = write(
            tmp_path / "survey.csv",
            "H1,530102001001,是,已脱贫,4,是,,0,否,是\nH1,530102001001,是,已脱贫,4,是,,0,否,是\n",
        )
        with pytest.raises(SurveyError, match="同一户"):
            read_survey(path)

    def test_a_file_without_the_required_columns_is_refused_in_chinese(
        self, tmp_path: Path
    ) -> None:
        path = write(tmp_path / "survey.csv", "H1,是\n", header="户编号,认可\n")
        with pytest.raises(SurveyError, match="缺少必需的列"):
            read_survey(path)


class TestEnteredOnAPage:
    def test_rows_entered_on_a_page_get_the_same_checks(self) -> None:
        good = {
            "区划代码": "530102001001",
            "建档立卡户": "否",
            "家庭人口": "4",
            "应纳未纳": "是",
            "认可": "是",
        }
        survey = survey_from_rows([good])
        row = survey.rows.row(0, named=True)
        assert row["should_be_registered"] is True and row["people"] == 4
        bad = {**good, "家庭人口": "0"}
        with pytest.raises(SurveyError) as info:
            survey_from_rows([good, bad], source="网页录入")
        assert "网页录入 第3行 “家庭人口”列" in str(info.value)


class TestPlanDesign:
    def test_plan_weights_replace_the_survey_weights(self, tmp_path: Path) -> None:
        county = synthetic_county(5, villages=50)
        plan = draw_plan(
            county.frame(), SamplingParams(households=200, households_per_village=10), seed=1
        )
        plan_path = write_plan_xlsx(plan, tmp_path / "plan.xlsx")
        reg = plan.units.filter(pl.col("registered")).row(0, named=True)
        village = plan.villages.row(0, named=True)
        lines = [
            f"{reg['household_id']},{reg['region_code']},是,{reg['status_claimed']},{reg['people']},是,,0,否,是",
            f",{village['code']},否,非贫困户,3,,否,0,,是",
            f",{village['code']},否,非贫困户,5,,是,5,,否",
        ]
        survey = read_survey(write(tmp_path / "survey.csv", "\n".join(lines) + "\n"))
        rows = apply_plan(survey, read_plan(plan_path)).to_dicts()
        # the only registered household surveyed in its village and status stands for all the
        # planned ones there (the others were not surveyed: nonresponse)
        group = plan.units.filter(
            pl.col("registered")
            & (pl.col("region_code") == reg["region_code"])
            & (pl.col("status_claimed") == reg["status_claimed"])
        )
        assert rows[0]["weight"] == pytest.approx(group["weight"].sum())
        assert rows[0]["cluster"] == reg["region_code"]
        # two non-registered households surveyed for the village's estimated N
        expected = village["nonreg_households"] / 2 / village["village_prob"]
        assert rows[1]["weight"] == pytest.approx(expected)
        assert rows[2]["weight"] == pytest.approx(expected)
        assert rows[1]["stratum"] == village["stratum"]

    def test_with_every_planned_household_surveyed_the_weights_are_the_plan_weights(
        self, tmp_path: Path
    ) -> None:
        county = synthetic_county(5, villages=50)
        plan = draw_plan(
            county.frame(), SamplingParams(households=200, households_per_village=10), seed=2
        )
        plan_path = write_plan_xlsx(plan, tmp_path / "plan.xlsx")
        reg = plan.units.filter(pl.col("registered"))
        lines = [
            f"{r['household_id']},{r['region_code']},是,{r['status_claimed']},{r['people']},是,,0,否,是"
            for r in reg.iter_rows(named=True)
        ]
        survey = read_survey(write(tmp_path / "survey.csv", "\n".join(lines) + "\n"))
        rows = apply_plan(survey, read_plan(plan_path))
        assert rows["weight"].to_list() == pytest.approx(reg["weight"].to_list())

    def test_a_registered_household_not_in_the_plan_is_refused(self, tmp_path: Path) -> None:
        county = synthetic_county(5, villages=50)
        plan = draw_plan(
            county.frame(), SamplingParams(households=200, households_per_village=10), seed=1
        )
        plan_path = write_plan_xlsx(plan, tmp_path / "plan.xlsx")
        survey = read_survey(
            write(tmp_path / "survey.csv", "NOPE,530102001001,是,已脱贫,4,是,,0,否,是\n")
        )
        with pytest.raises(SurveyError, match="不在抽样方案"):
            apply_plan(survey, read_plan(plan_path))


class TestSeveralCounties:
    def test_the_plans_of_two_counties_make_one_design_rolled_up_to_their_city(
        self, tmp_path: Path
    ) -> None:
        from fupin.engine.assessment.estimation import estimate_rates
        from fupin.engine.assessment.simulation import fill_survey
        from fupin.engine.assessment.survey import Survey, merge_plans

        params = SamplingParams(households=200, households_per_village=10)
        parts, designs = [], []
        for code, seed in (("530102000000", 1), ("530103000000", 2)):
            county = synthetic_county(seed, county_code=code, villages=40)
            plan = draw_plan(county.frame(), params, seed=seed)
            designs.append(read_plan(write_plan_xlsx(plan, tmp_path / f"{code}.xlsx")))
            parts.append(fill_survey(plan, county, seed=seed))
        rows = (
            pl.concat(parts)
            .with_row_index("row", offset=2)
            .with_columns(pl.col("row").cast(pl.Int64))
        )
        findings = apply_plan(Survey(rows, "survey.csv"), merge_plans(designs))
        est = estimate_rates(findings, indicators=("recognition",))
        a = est.get("530102000000", "recognition")
        b = est.get("530103000000", "recognition")
        city = est.get("530100000000", "recognition")
        assert a is not None and b is not None and city is not None
        assert city.n_households == a.n_households + b.n_households
        assert min(a.estimate, b.estimate) <= city.estimate <= max(a.estimate, b.estimate)

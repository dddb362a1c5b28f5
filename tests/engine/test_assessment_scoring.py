"""The 100-point assessment of cities (seed 003 document five) and the problem list of
document four article 7, from the scoring policy file."""

from __future__ import annotations

from pathlib import Path

import pytest

from fupin.engine.assessment.scoring import (
    Fact,
    ScoringError,
    load_scoring_policy,
    read_facts,
    score_all,
    score_city,
)

CITY = "130700000000"  # 张家口市
POOR_A, POOR_B, OTHER = "130722000000", "130723000000", "130702000000"

PERFECT = {
    "routine_score": 10,
    "poverty_reduction_completion": 1.0,
    "village_exit_completion": 1.0,
    "county_exit_completion": 1.0,
    "rural_income_growth_gap": 0.5,
    "missed_rate": 0.0,
    "wrong_identification_rate": 0.0,
    "wrong_exit_rate": 0.0,
    "recognition": 0.97,
    "work_team_coverage": 1.0,
    "medical_insured_rate": 1.0,
    "dibao_coverage_rate": 1.0,
    "fund_disbursement_rate": 1.0,
    "fund_violations": 0,
    "adjustment_score": 0,
}


def facts(
    city: dict[str, float], counties: dict[str, tuple[float, bool]]
) -> dict[tuple[str, str], Fact]:
    out = {(CITY, k): Fact(float(v), "省扶贫办") for k, v in city.items()}
    for code, (score, poor) in counties.items():
        out[(code, "county_score")] = Fact(score, "省级对县考核")
        out[(code, "poor_county")] = Fact(1.0 if poor else 0.0, "区划")
    return out


@pytest.fixture(scope="module")
def policy():  # type: ignore[no-untyped-def]
    return load_scoring_policy("scoring-hebei-2018")


class TestHebei:
    def test_the_four_contents_carry_10_30_60_and_plus_minus_5_points(self, policy) -> None:  # type: ignore[no-untyped-def]
        points = {c.name: c.points for c in policy.components}
        assert points == {
            "平时考核": 10,
            "集中考核": 30,
            "所属县（市、区）精准扶贫工作成效": 60,
            "调整指标": 5,
        }
        concentrated = next(c for c in policy.components if c.id == "concentrated")
        assert [p.name for p in concentrated.parts] == [
            "减贫成效",
            "精准识别",
            "精准帮扶",
            "社会保障",
            "扶贫资金",
        ]
        county = next(c for c in policy.components if c.id == "county_results")
        assert county.county_scores is not None
        assert (county.county_scores.poor_points, county.county_scores.other_points) == (50, 10)

    def test_a_city_meeting_everything_scores_100(self, policy) -> None:  # type: ignore[no-untyped-def]
        s = score_city(policy, CITY, facts(PERFECT, {POOR_A: (100, True), OTHER: (100, False)}))
        assert s.total == pytest.approx(100)
        assert s.problems == []

    def test_the_score_follows_the_rules_of_the_policy_file(self, policy) -> None:  # type: ignore[no-untyped-def]
        city = {
            **PERFECT,
            "routine_score": 8,  # 8 of 10
            "poverty_reduction_completion": 0.9,  # half of 0.4 × 6 = 1.2 lost
            "wrong_exit_rate": 0.01,  # half of 0.33 × 6 = 0.99 lost
            "fund_violations": 2,  # 0.4 × 6 = 2.4 lost
            "adjustment_score": -2,
        }
        counties = {POOR_A: (80, True), POOR_B: (90, True), OTHER: (70, False)}
        s = score_city(policy, CITY, facts(city, counties))
        assert s.component_points("平时考核") == pytest.approx(8)
        assert s.component_points("集中考核") == pytest.approx(30 - 1.2 - 0.99 - 2.4)
        # poor counties average 85 → 42.5 of 50; the non-poor county 70 → 7 of 10
        assert s.component_points("所属县（市、区）精准扶贫工作成效") == pytest.approx(42.5 + 7)
        assert s.component_points("调整指标") == pytest.approx(-2)
        assert s.total == pytest.approx(8 + 25.41 + 49.5 - 2)

    def test_every_line_shows_its_source_data(self, policy) -> None:  # type: ignore[no-untyped-def]
        s = score_city(policy, CITY, facts(PERFECT, {POOR_A: (90, True)}))
        line = next(x for x in s.lines if x.indicator == "fund_disbursement_rate")
        assert (line.value, line.source) == (1.0, "省扶贫办")
        county = next(x for x in s.lines if x.part == "所属贫困县")
        assert POOR_A in county.name and county.value == 90
        # no non-poor county: its 10 points go to the poor counties
        assert county.max_points == 60 and county.points == pytest.approx(54)

    def test_missing_data_scores_zero_and_says_so(self, policy) -> None:  # type: ignore[no-untyped-def]
        city = {k: v for k, v in PERFECT.items() if k != "medical_insured_rate"}
        s = score_city(policy, CITY, facts(city, {POOR_A: (100, True)}))
        line = next(x for x in s.lines if x.indicator == "medical_insured_rate")
        assert line.points == 0 and "缺少数据" in line.note


class TestProblems:
    def test_the_problems_of_article_7_are_flagged_from_the_data(self, policy) -> None:  # type: ignore[no-untyped-def]
        city = {
            **PERFECT,
            "poverty_reduction_completion": 0.95,
            "fund_violations": 1,
            "recognition": 0.86,
            "wrong_exit_rate": 0.06,
        }
        s = score_city(policy, CITY, facts(city, {POOR_A: (90, True)}))
        flagged = {p.id: p for p in s.problems}
        assert set(flagged) == {
            "plan_not_completed",
            "fund_violation",
            "digital_exit",
            "low_accuracy_or_satisfaction",
        }
        assert "第四篇 第七条(二)" in flagged["fund_violation"].source
        assert "recognition=0.86" in flagged["low_accuracy_or_satisfaction"].evidence
        assert "wrong_exit_rate=0.06" in flagged["low_accuracy_or_satisfaction"].evidence


class TestAnotherProvince:
    def test_another_method_is_a_new_file_not_new_code(self, tmp_path: Path) -> None:
        text = """
id: scoring-test
kind: scoring
name: 另一省的考核办法
components:
  - id: concentrated
    name: 集中考核
    points: 40
    source: {seed: "003_5d930e5b7c96e2fa.txt", item: "第四篇 第五条"}
    parts:
      - id: identification
        name: 精准识别
        points: 40
        indicators:
          - {indicator: missed_rate, name: 漏评率, weight: 1, rule: {type: threshold, operator: "<", threshold: 0.01}}
  - id: county_results
    name: 县
    points: 60
    county_scores: {indicator: county_score, poor_points: 30, other_points: 30}
"""
        path = tmp_path / "scoring-test.yaml"
        path.write_text(text, encoding="utf-8")
        other = load_scoring_policy(path)
        s = score_city(
            other, CITY, facts({"missed_rate": 0.005}, {POOR_A: (50, True), OTHER: (100, False)})
        )
        assert s.total == pytest.approx(40 + 15 + 30)

    def test_parts_that_do_not_add_up_are_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "scoring-bad.yaml"
        path.write_text(
            "id: scoring-bad\nkind: scoring\nname: x\ncomponents:\n"
            "  - {id: c, name: 集中, points: 30, parts: [{id: p, name: 一, points: 20, indicators: "
            "[{indicator: a, weight: 1, rule: {type: linear, zero_at: 0, full_at: 1}}]}]}\n",
            encoding="utf-8",
        )
        with pytest.raises(ScoringError, match="各项分值之和"):
            load_scoring_policy(path)


class TestFacts:
    def test_facts_are_read_from_a_csv_with_chinese_headers_and_rates_csv(
        self, tmp_path: Path, policy
    ) -> None:  # type: ignore[no-untyped-def]
        data = tmp_path / "indicators.csv"
        data.write_text(
            "区划代码,指标,值,来源\n130700000000,routine_score,9,督查台账\n130722000000,county_score,88,省考核\n130722000000,poor_county,1,\n",
            encoding="utf-8",
        )
        rates = tmp_path / "rates.csv"
        rates.write_text(
            "region_code,indicator,estimate,ci_low,ci_high,n_households,design_effect\n"
            "130700000000,recognition,0.93,0.9,0.95,1000,1.2\n",
            encoding="utf-8",
        )
        f = read_facts(rates, source="评估结果")
        f.update(read_facts(data))
        assert f[(CITY, "routine_score")] == Fact(9.0, "督查台账")
        assert f[(CITY, "recognition")] == Fact(0.93, "评估结果")
        (s,) = score_all(policy, f)
        assert s.region_code == CITY
        assert s.component_points("所属县（市、区）精准扶贫工作成效") == pytest.approx(0.88 * 60)

"""County exit decisions from the rates and the assessment policy files (issue 5, item 4)."""

from __future__ import annotations

import re

import polars as pl
import pytest

from fupin.engine.assessment.decisions import (
    AssessmentPolicyError,
    decide,
    decide_county,
    load_assessment_policy,
)
from fupin.engine.assessment.estimation import Estimates, Population, RateEstimate, estimate_rates

COUNTY = "530102000000"
SEED_FILE = re.compile(r"^00[0-4]_[0-9a-f]{16}\.txt")


def rate(indicator: str, estimate: float, low: float, high: float) -> RateEstimate:
    return RateEstimate(
        COUNTY, "county", indicator, estimate, low, high, 0.01, 1.5, 1000, 38, "Korn-Graubard"
    )


def estimates(**values: tuple[float, float, float]) -> Estimates:
    return Estimates([rate(k, *v) for k, v in values.items()])


GOOD = {
    "missed_rate": (0.004, 0.001, 0.010),
    "wrong_exit_rate": (0.005, 0.002, 0.012),
    "comprehensive_incidence": (0.012, 0.010, 0.016),
    "recognition": (0.97, 0.95, 0.98),
}


class TestYunnan2017:
    policy = load_assessment_policy("assessment-yunnan-2017")

    def test_a_county_meeting_all_four_rates_may_exit(self) -> None:
        d = decide_county(COUNTY, self.policy.county_rules, estimates(**GOOD))
        assert d.verdict == "符合退出条件"
        assert [r.result for r in d.rules] == ["达标"] * 4

    def test_a_county_whose_incidence_is_above_3_percent_is_refused_naming_the_rule(self) -> None:
        values = {**GOOD, "comprehensive_incidence": (0.041, 0.034, 0.049)}
        d = decide_county(COUNTY, self.policy.county_rules, estimates(**values))
        assert d.verdict == "不予退出"
        assert len(d.reasons) == 1
        assert "综合贫困发生率低于3%" in d.reasons[0]
        assert "000_7b83ec534104c8fb.txt 第17项" in d.reasons[0]
        failed = [r for r in d.rules if r.result == "不达标"]
        assert [r.rule.id for r in failed] == ["comprehensive_incidence"]

    def test_a_passing_estimate_whose_interval_straddles_the_threshold_is_at_risk(self) -> None:
        values = {**GOOD, "missed_rate": (0.015, 0.008, 0.026)}
        d = decide_county(COUNTY, self.policy.county_rules, estimates(**values))
        missed = next(r for r in d.rules if r.rule.id == "missed_rate")
        assert missed.result == "达标但存在风险"
        assert "跨越阈值2%" in missed.explanation
        assert d.verdict == "符合退出条件（达标但存在风险）"

    def test_a_failing_estimate_whose_interval_straddles_the_threshold_fails_and_says_so(
        self,
    ) -> None:
        values = {**GOOD, "wrong_exit_rate": (0.024, 0.006, 0.061)}
        d = decide_county(COUNTY, self.policy.county_rules, estimates(**values))
        wrong = next(r for r in d.rules if r.rule.id == "wrong_exit_rate")
        assert wrong.result == "不达标"
        assert "置信区间跨越阈值" in wrong.explanation
        assert d.verdict == "不予退出"

    def test_recognition_below_90_percent_refuses_exit(self) -> None:
        values = {**GOOD, "recognition": (0.88, 0.85, 0.91)}
        d = decide_county(COUNTY, self.policy.county_rules, estimates(**values))
        assert d.verdict == "不予退出"
        assert "群众认可度达90%以上" in d.reasons[0]

    def test_without_the_incidence_the_verdict_cannot_be_given_and_says_why(self) -> None:
        values = {k: v for k, v in GOOD.items() if k != "comprehensive_incidence"}
        d = decide_county(COUNTY, self.policy.county_rules, estimates(**values))
        assert d.verdict == "无法判定"
        assert any("建档立卡人口数据" in r for r in d.reasons)


class TestAnhui2018:
    policy = load_assessment_policy("assessment-anhui-2018")

    def test_registry_incidence_above_2_percent_is_refused_directly_as_seed_001_four_three_says(
        self,
    ) -> None:
        pop = Population(
            rural_population=100_000, registered_not_exited=2_500, exited=20_000, registered=22_500
        )
        d = decide_county(COUNTY, self.policy.county_rules, estimates(**GOOD), {COUNTY: pop})
        assert d.verdict == "不予退出"
        assert any("系统贫困发生率不超过2%" in r and "四.(三)" in r for r in d.reasons)

    def test_a_wrong_exit_rate_above_2_percent_calls_for_special_rectification_not_refusal(
        self,
    ) -> None:
        pop = Population(
            rural_population=100_000, registered_not_exited=800, exited=20_000, registered=20_800
        )
        values = {**GOOD, "wrong_exit_rate": (0.031, 0.022, 0.043)}
        d = decide_county(COUNTY, self.policy.county_rules, estimates(**values), {COUNTY: pop})
        assert d.verdict == "符合退出条件（需专项整改）"
        assert any("脱贫人口错退率不高于2%" in r and "专项整改" in r for r in d.reasons)


class TestFromSurveyData:
    def test_a_county_with_many_registered_poor_left_gets_no_exit_from_its_survey(self) -> None:
        rows = []
        for v in range(1, 11):
            for k in range(10):
                rows.append(
                    {
                        "region_code": f"530102001{v:03d}",
                        "registered": k < 5,
                        "status_claimed": "已脱贫" if k < 5 else "非贫困户",
                        "people": 3,
                        "meets_exit_standard": True if k < 5 else None,
                        "should_be_registered": None if k < 5 else False,
                        "missed_people": 0,
                        "satisfied": True,
                        "weight": 20.0,
                        "stratum": "贫困村",
                        "cluster": f"{v:03d}",
                    }
                )
        # 5 % of the rural population still registered as not exited: above 3 %
        pop = Population(
            rural_population=60_000, registered_not_exited=3_000, exited=9_000, registered=12_000
        )
        policy = load_assessment_policy("yunnan-2017")  # short name of assessment-yunnan-2017
        est = estimate_rates(pl.DataFrame(rows), policy.rates, populations={COUNTY: pop})
        (d,) = decide(policy, est, {COUNTY: pop})
        assert d.verdict == "不予退出"
        assert "综合贫困发生率低于3%" in d.reasons[0]


class TestPolicyFiles:
    @pytest.mark.parametrize("name", ["assessment-yunnan-2017", "assessment-anhui-2018"])
    def test_every_rule_and_parameter_cites_a_seed_file_and_clause(self, name: str) -> None:
        policy = load_assessment_policy(name)
        assert policy.county_rules
        for rule in policy.county_rules + policy.village_rules:
            assert SEED_FILE.match(rule.source), rule
            assert "第" in rule.source
        assert policy.sources
        for key, citation in policy.sources.items():
            assert SEED_FILE.match(citation), key

    def test_the_yunnan_thresholds_are_those_of_item_17(self) -> None:
        rules = {
            r.id: (r.operator, r.threshold)
            for r in load_assessment_policy("assessment-yunnan-2017").county_rules
        }
        assert rules == {
            "missed_rate": ("<", 0.02),
            "wrong_exit_rate": ("<", 0.02),
            "comprehensive_incidence": ("<", 0.03),
            "recognition": (">=", 0.90),
        }

    def test_the_sampling_defaults_draw_at_least_1000_households(self) -> None:
        params = load_assessment_policy("assessment-yunnan-2017").sampling_params()
        assert params.households >= 1000
        assert params.registered_share == 0.5

    def test_an_exit_standard_file_is_not_taken_for_an_assessment_policy(
        self, tmp_path: object
    ) -> None:
        from fupin.engine.assessment.decisions import POLICIES_DIR

        with pytest.raises(AssessmentPolicyError, match="不是评估策略"):
            load_assessment_policy(POLICIES_DIR / "yunnan-2017.yaml")


class TestVillages:
    policy = load_assessment_policy("assessment-yunnan-2017")

    @staticmethod
    def village(code: str, **values: tuple[float, float, float]) -> list[RateEstimate]:
        return [
            RateEstimate(code, "village", k, *v, 0.01, None, 25, 24, "Korn-Graubard")
            for k, v in values.items()
        ]

    def test_a_village_failing_the_exit_standard_or_the_sampled_missed_rate_does_not_exit(
        self,
    ) -> None:
        from fupin.engine.assessment.decisions import decide_villages

        a, b, c = "530102001001", "530102001002", "530102001003"
        clean = {
            "missed_rate": (0.0, 0.0, 0.005),
            "wrong_identification_rate": (0.0, 0.0, 0.005),
            "comprehensive_incidence": (0.01, 0.008, 0.015),
        }
        est = Estimates(
            self.village(a, **clean)
            + self.village(b, **{**clean, "missed_rate": (0.03, 0.012, 0.07)})
            + self.village(c, **clean)
        )
        standard = {
            a: {"verdict": "达标", "name": "甲村", "poverty_flag": "贫困村", "gaps": ""},
            b: {"verdict": "达标", "name": "乙村", "poverty_flag": "贫困村", "gaps": ""},
            c: {
                "verdict": "未达标",
                "name": "丙村",
                "poverty_flag": "贫困村",
                "gaps": "集体经济收入0元，低于20,000元",
            },
        }
        verdicts = {v.region_code: v for v in decide_villages(self.policy, est, standard)}
        assert verdicts[a].verdict == "符合出列条件"
        assert verdicts[b].verdict == "不予出列"
        assert "被抽查村漏评率控制在1%以内" in verdicts[b].reasons[0]
        assert "第7(2)项" in verdicts[b].reasons[0]
        assert verdicts[c].verdict == "不予出列"
        assert "集体经济收入" in verdicts[c].reasons[0]

    def test_without_the_engine_verdict_a_village_cannot_be_decided(self) -> None:
        from fupin.engine.assessment.decisions import decide_villages

        est = Estimates(self.village("530102001001", missed_rate=(0.0, 0.0, 0.005)))
        (v,) = decide_villages(self.policy, est, None)
        assert v.verdict == "无法判定"
        assert any("未评估" in r for r in v.reasons)

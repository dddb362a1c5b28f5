"""Do the 95 % intervals cover the truth? A county with known rates, 200 plans (issue 5).

The 200 plans are estimated in one pass: each plan's findings get a county code of their own,
so one call estimates 200 independent counties (strata and villages never cross counties).
"""

from __future__ import annotations

import polars as pl

from fupin.engine.assessment.estimation import estimate_rates
from fupin.engine.assessment.sampling import SamplingParams, draw_plan
from fupin.engine.assessment.simulation import fill_survey, synthetic_county

PLANS = 200


def plan_county(k: int) -> str:
    """A distinct 6-digit county prefix for plan k (province 53, city and county from k)."""
    return f"53{k // 100 + 1:02d}{k % 100:02d}"


def test_the_95_percent_intervals_cover_the_true_rates_in_90_to_99_percent_of_plans() -> None:
    county = synthetic_county(7, wrong_exit_level=0.03, missed_level=0.02)
    true_wrong_exit = county.true_wrong_exit_rate
    true_missed = county.true_missed_rate
    assert 0.01 < true_wrong_exit < 0.08 and 0.005 < true_missed < 0.05
    frame = county.frame()
    params = SamplingParams()
    surveys = []
    for k in range(PLANS):
        plan = draw_plan(frame, params, seed=k)
        assert plan.units.height >= 1000
        findings = fill_survey(plan, county, seed=10_000 + k)
        surveys.append(
            findings.with_columns(
                region_code=pl.lit(plan_county(k)) + pl.col("region_code").str.slice(6)
            )
        )
    est = estimate_rates(
        pl.concat(surveys),
        levels=("county",),
        indicators=("wrong_exit_rate", "missed_rate"),
    )
    for indicator, truth in (("wrong_exit_rate", true_wrong_exit), ("missed_rate", true_missed)):
        rates = [est.get(plan_county(k) + "000000", indicator) for k in range(PLANS)]
        assert all(r is not None for r in rates)
        covered = sum(r.ci_low <= truth <= r.ci_high for r in rates if r is not None)
        assert 0.90 * PLANS <= covered <= 0.99 * PLANS, (indicator, covered)
        # the weighted estimator is unbiased: the mean of 200 estimates is near the truth
        mean = sum(r.estimate for r in rates if r is not None) / PLANS
        assert abs(mean - truth) < 0.1 * truth, (indicator, mean, truth)

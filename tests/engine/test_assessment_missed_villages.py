"""漏评率 over the whole sampled villages (issue 5: missed people found in the sampled villages ÷
non-registered rural people in the sampled villages), checked on a hand-made example."""

from __future__ import annotations

import math

import polars as pl
import pytest

from fupin.engine.assessment.decisions import AssessmentPolicyError, load_assessment_policy
from fupin.engine.assessment.estimation import (
    Population,
    RateParams,
    clopper_pearson,
    estimate_rates,
    korn_graubard,
    sampled_villages,
)
from fupin.engine.assessment.reports import write_rates_csv

COUNTY = "530102000000"
VILLAGE = "530102001{}"
BY_VILLAGE = RateParams(missed_rate_denominator="village_population")

# village → (stratum, selection probability, non-registered people, registered people)
VILLAGES = {
    "001": ("A", 0.5, 400, 40),
    "002": ("A", 0.5, 300, 30),
    "003": ("B", 0.25, 200, 20),
    "004": ("B", 0.25, 100, 10),
    "005": ("B", 0.25, 250, 25),  # drawn but nobody surveyed there yet
}
# missed people found in each village (the survey of missed people in a drawn village is full)
MISSED = {"001": 5, "002": 0, "003": 3, "004": 1, "005": 0}


def row(village: str, people: int, registered: bool, **findings: object) -> dict[str, object]:
    stratum, prob, _, _ = VILLAGES[village]
    out: dict[str, object] = {
        "household_id": None,
        "region_code": VILLAGE.format(village),
        "registered": registered,
        "status_claimed": "已脱贫" if registered else "非贫困户",
        "people": people,
        "meets_exit_standard": None,
        "should_be_registered": None,
        "missed_people": None,
        "should_not_be_registered": None,
        "satisfied": None,
        "weight": 1 / prob * 5,  # households: village weight × within-village weight
        "stratum": stratum,
        "cluster": VILLAGE.format(village),
    }
    out.update(findings)
    return out


def findings() -> pl.DataFrame:
    return pl.DataFrame(
        [
            row("001", 4, True, meets_exit_standard=True),
            row("001", 5, False, should_be_registered=True, missed_people=5),
            row("002", 3, True, meets_exit_standard=False),
            row("002", 2, False, should_be_registered=False, missed_people=0),
            row("003", 2, True, meets_exit_standard=True),
            row("003", 3, False, should_be_registered=True),  # whole household: 3 missed
            # a registered household with one member left out of the registration
            row("004", 4, True, meets_exit_standard=True, missed_people=1),
        ]
    )


def populations() -> dict[str, Population]:
    return {
        VILLAGE.format(v): Population(nonreg + reg, 0, reg, reg)
        for v, (_, _, nonreg, reg) in VILLAGES.items()
    }


def plan_villages() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"code": VILLAGE.format(v), "stratum": s, "village_prob": p}
            for v, (s, p, _, _) in VILLAGES.items()
        ]
    )


def textbook_ratio(weights: list[float], strata: list[str], num: list[float], den: list[float]):
    """R = Σw·y / Σw·x with the with-replacement Taylor variance of a stratified sample of
    clusters: v = Σ_h n_h/(n_h−1) Σ_i (z_hi − z̄_h)², z = w(y − R·x)/Σw·x (Cochran, 6.9)."""
    total_x = sum(w * x for w, x in zip(weights, den, strict=True))
    r = sum(w * y for w, y in zip(weights, num, strict=True)) / total_x
    z = [w * (y - r * x) / total_x for w, y, x in zip(weights, num, den, strict=True)]
    variance = 0.0
    for h in set(strata):
        zs = [zi for zi, s in zip(z, strata, strict=True) if s == h]
        mean = sum(zs) / len(zs)
        variance += len(zs) / (len(zs) - 1) * sum((zi - mean) ** 2 for zi in zs)
    return r, math.sqrt(variance)


class TestMissedRateOverTheSampledVillages:
    def test_it_is_the_weighted_missed_people_over_the_villages_non_registered_people(
        self,
    ) -> None:
        villages, notes = sampled_villages(findings(), populations(), plan_villages())
        assert not notes
        est = estimate_rates(findings(), BY_VILLAGE, levels=("county",), villages=villages)
        r = est.get(COUNTY, "missed_rate")
        assert r is not None
        # (2·5 + 2·0 + 4·3 + 4·1 + 4·0) ÷ (2·400 + 2·300 + 4·200 + 4·100 + 4·250)
        assert r.estimate == pytest.approx(26 / 3600)
        keys = sorted(VILLAGES)
        expected, se = textbook_ratio(
            [1 / VILLAGES[v][1] for v in keys],
            [VILLAGES[v][0] for v in keys],
            [MISSED[v] for v in keys],
            [VILLAGES[v][2] for v in keys],
        )
        assert r.estimate == pytest.approx(expected)
        assert r.se == pytest.approx(se, rel=1e-9)
        # Korn–Graubard on the villages' non-registered people, df = 5 villages − 2 strata
        assert (r.ci_low, r.ci_high) == pytest.approx(korn_graubard(r.estimate, se, 1250, 3))
        assert r.n_households == findings().height

    def test_it_differs_from_the_ratio_over_the_sampled_households(self) -> None:
        households = estimate_rates(findings(), levels=("county",)).get(COUNTY, "missed_rate")
        assert households is not None
        # the households' reading, weights 10 in stratum A and 20 in B:
        # (10·5 + 20·3 + 20·1) ÷ (10·(5 + 2) + 20·3 + 20·1), the left-out member in both
        assert households.estimate == pytest.approx(130 / 150)

    def test_without_a_plan_the_surveyed_villages_count_alike(self) -> None:
        villages, notes = sampled_villages(findings(), populations())
        assert any("各村权重相同" in n for n in notes)
        assert sorted(villages["code"].to_list()) == [
            VILLAGE.format(v) for v in ["001", "002", "003", "004"]
        ]
        r = estimate_rates(findings(), BY_VILLAGE, levels=("county",), villages=villages).get(
            COUNTY, "missed_rate"
        )
        assert r is not None
        assert r.estimate == pytest.approx((5 + 0 + 3 + 1) / (400 + 300 + 200 + 100))

    def test_a_single_village_is_a_full_count_with_an_exact_interval(self) -> None:
        villages, _ = sampled_villages(findings(), populations(), plan_villages())
        est = estimate_rates(
            findings(),
            BY_VILLAGE,
            levels=("village",),
            villages=villages,
            indicators=["missed_rate"],
        )
        r = est.get(VILLAGE.format("001"), "missed_rate")
        assert r is not None
        assert r.estimate == pytest.approx(5 / 400)
        assert (r.ci_low, r.ci_high) == pytest.approx(clopper_pearson(5, 400))

    def test_the_comprehensive_incidence_uses_the_villages_missed_rate(self) -> None:
        villages, _ = sampled_villages(findings(), populations(), plan_villages())
        pop = Population(
            rural_population=50_000, registered_not_exited=500, exited=4_500, registered=5_000
        )
        est = estimate_rates(
            findings(), BY_VILLAGE, populations={COUNTY: pop}, levels=("county",), villages=villages
        )
        r = est.get(COUNTY, "comprehensive_incidence")
        assert r is not None
        w = {v: 1 / VILLAGES[v][1] * 5 for v in VILLAGES}
        wrong_exit = (w["002"] * 3) / (w["001"] * 4 + w["002"] * 3 + w["003"] * 2 + w["004"] * 4)
        expected = (500 + 26 / 3600 * 45_000 + wrong_exit * 4_500) / 50_000
        assert r.estimate == pytest.approx(expected)
        assert r.ci_low <= r.estimate <= r.ci_high

    def test_without_village_populations_the_rate_is_left_out_and_the_notes_say_why(self) -> None:
        est = estimate_rates(findings(), BY_VILLAGE, levels=("county",))
        assert est.get(COUNTY, "missed_rate") is None
        assert any("漏评率" in n and "未计算" in n for n in est.notes)

    def test_a_village_missing_from_the_registry_is_named(self) -> None:
        pops = populations()
        del pops[VILLAGE.format("005")]
        villages, notes = sampled_villages(findings(), pops, plan_villages())
        assert villages.height == 4
        assert any(VILLAGE.format("005") in n for n in notes)

    def test_rates_csv_says_which_reading_was_used(self, tmp_path) -> None:
        villages, _ = sampled_villages(findings(), populations(), plan_villages())
        est = estimate_rates(findings(), BY_VILLAGE, levels=("county",), villages=villages)
        write_rates_csv(est, tmp_path / "rates.csv")
        text = (tmp_path / "rates.csv").read_text(encoding="utf-8")
        assert "definition" in text.splitlines()[0]
        missed = [line for line in text.splitlines() if ",missed_rate," in line]
        assert missed and "抽中村全部非建档立卡农村人口" in missed[0]
        assert any("village_population" in n for n in est.notes)


class TestPolicyParameter:
    def test_the_policy_files_name_the_reading_and_cite_their_source(self) -> None:
        pol = load_assessment_policy("assessment-yunnan-2017")
        assert pol.rates.missed_rate_denominator == "sampled_households"
        assert "17(2)" in pol.sources["rates.missed_rate_denominator"]

    def test_an_unknown_reading_is_refused_in_chinese(self, tmp_path) -> None:
        from fupin.engine.assessment.decisions import policy_file

        text = policy_file("assessment-yunnan-2017").read_text(encoding="utf-8")
        bad = tmp_path / "bad.yaml"
        bad.write_text(
            text.replace("value: sampled_households", "value: whole_county"), encoding="utf-8"
        )
        with pytest.raises(AssessmentPolicyError, match="missed_rate_denominator"):
            load_assessment_policy(bad)


class TestCoverage:
    def test_the_intervals_over_the_sampled_villages_cover_the_true_rate(self) -> None:
        """200 plans of a county with a known missed rate; in each, the missed people of the
        drawn villages are counted in full (seed 000 item 17(2)); the 95 % intervals of the
        village reading cover the county's true rate in 90–99 % of the plans."""
        from fupin.engine.assessment.sampling import SamplingParams, draw_plan
        from fupin.engine.assessment.simulation import synthetic_county

        plans = 200
        county = synthetic_county(7, wrong_exit_level=0.03, missed_level=0.02)
        truth = county.true_missed_rate
        non = county.nonregistered
        by_village = non.group_by("region_code").agg(
            people=pl.col("people").sum(), missed=pl.col("missed_people").sum()
        )
        people = dict(zip(by_village["region_code"], by_village["people"], strict=True))
        frame = county.frame()
        params = SamplingParams()
        estimates = []
        for k in range(plans):
            plan = draw_plan(frame, params, seed=k)
            codes = plan.villages["code"].to_list()
            # the full count of missed people in the drawn villages: every non-registered
            # household of those villages, as found
            census = non.filter(pl.col("region_code").is_in(codes)).select(
                "region_code",
                "people",
                "missed_people",
                registered=pl.lit(False),
                should_be_registered=pl.col("missed_people") > 0,
                status_claimed=pl.lit("非贫困户"),
            )
            pops = {c: Population(int(people.get(c, 0)), 0, 0, 0) for c in codes}
            villages, _ = sampled_villages(census, pops, plan.villages)
            r = estimate_rates(
                census,
                BY_VILLAGE,
                levels=("county",),
                indicators=("missed_rate",),
                villages=villages,
            ).get(county.county_code, "missed_rate")
            assert r is not None
            estimates.append(r)
        covered = sum(r.ci_low <= truth <= r.ci_high for r in estimates)
        assert 0.90 * plans <= covered <= 0.99 * plans, covered
        mean = sum(r.estimate for r in estimates) / plans
        assert abs(mean - truth) < 0.1 * truth, (mean, truth)

"""三率一度 estimates and intervals against hand-computed numbers (issue 5, item 3)."""

from __future__ import annotations

import math

import polars as pl
import pytest
from scipy.stats import beta, t

from fupin.engine.assessment.estimation import (
    Population,
    RateParams,
    clopper_pearson,
    estimate_rates,
)

COUNTY = "530102000000"


def household(
    village: str, stratum: str, weight: float, people: int, **findings: object
) -> dict[str, object]:
    row: dict[str, object] = {
        "household_id": None,
        "region_code": f"530102001{village}",
        "registered": True,
        "status_claimed": "已脱贫",
        "people": people,
        "meets_exit_standard": None,
        "should_be_registered": None,
        "missed_people": None,
        "should_not_be_registered": None,
        "satisfied": None,
        "weight": weight,
        "stratum": stratum,
        "cluster": village,
    }
    row.update(findings)
    return row


def stratified_clustered_example() -> pl.DataFrame:
    """Two strata, five villages (clusters), nine exited households, three wrong exits.

    stratum A, weight 10:  village 001: 4 people (wrong exit), 2 people;  village 002: 3, 5
    stratum B, weight 20:  village 003: 2 (wrong exit), 4;  village 004: 3;  village 005: 1, 2 (wrong exit)
    """
    rows = [
        household("001", "A", 10, 4, meets_exit_standard=False),
        household("001", "A", 10, 2, meets_exit_standard=True),
        household("002", "A", 10, 3, meets_exit_standard=True),
        household("002", "A", 10, 5, meets_exit_standard=True),
        household("003", "B", 20, 2, meets_exit_standard=False),
        household("003", "B", 20, 4, meets_exit_standard=True),
        household("004", "B", 20, 3, meets_exit_standard=True),
        household("005", "B", 20, 1, meets_exit_standard=True),
        household("005", "B", 20, 2, meets_exit_standard=False),
    ]
    return pl.DataFrame(rows)


class TestHandComputedExample:
    def test_the_wrong_exit_rate_is_the_weighted_ratio_of_people(self) -> None:
        est = estimate_rates(stratified_clustered_example(), levels=("county",))
        r = est.get(COUNTY, "wrong_exit_rate")
        assert r is not None
        # Y = 10·4 + 20·2 + 20·2 = 120 wrong-exit people; X = 10·14 + 20·12 = 380 exited people
        assert r.estimate == pytest.approx(120 / 380)
        assert r.n_households == 9

    def test_the_standard_error_is_the_taylor_linearised_one_with_villages_as_clusters(
        self,
    ) -> None:
        r = estimate_rates(stratified_clustered_example(), levels=("county",)).get(
            COUNTY, "wrong_exit_rate"
        )
        assert r is not None
        # z_village = Σ w·(y − R·x) / X with R = 6/19, in units of 1/7220 (= 19·380):
        #   A: 001 → 400, 002 → −480;  B: 003 → 40, 004 → −360, 005 → 400
        # v = Σ_h n_h/(n_h−1) Σ_i (z_hi − z̄_h)²
        #   A: mean −40, 2·(440² + 440²) = 774400
        #   B: mean 80/3, 3/2·((40−80/3)² + (−360−80/3)² + (400−80/3)²) = 433600
        variance = (774400 + 433600) / 7220**2
        assert r.se == pytest.approx(math.sqrt(variance), rel=1e-9)
        assert r.df == 3  # 5 villages − 2 strata
        assert r.design_effect is not None and r.design_effect > 0

    def test_the_interval_is_korn_graubard_on_the_effective_sample_size(self) -> None:
        r = estimate_rates(stratified_clustered_example(), levels=("county",)).get(
            COUNTY, "wrong_exit_rate"
        )
        assert r is not None
        p = 6 / 19
        variance = (774400 + 433600) / 7220**2
        n = 26  # exited people in the sample
        n_eff = min(n, p * (1 - p) / variance)
        n_eff *= (t.ppf(0.975, n - 1) / t.ppf(0.975, 3)) ** 2
        x = p * n_eff
        assert r.ci_low == pytest.approx(beta.ppf(0.025, x, n_eff - x + 1), rel=1e-9)
        assert r.ci_high == pytest.approx(beta.ppf(0.975, x + 1, n_eff - x), rel=1e-9)
        assert r.ci_low < r.estimate < r.ci_high

    def test_the_missed_rate_counts_missed_people_over_non_registered_people(self) -> None:
        rows = stratified_clustered_example().to_dicts()
        rows += [
            household(
                "001",
                "A",
                30,
                5,
                registered=False,
                status_claimed="非贫困户",
                should_be_registered=True,
                missed_people=5,
            ),
            household(
                "001",
                "A",
                30,
                3,
                registered=False,
                status_claimed="非贫困户",
                should_be_registered=False,
                missed_people=0,
            ),
            household(
                "002",
                "A",
                30,
                4,
                registered=False,
                status_claimed="非贫困户",
                should_be_registered=False,
                missed_people=0,
            ),
            household(
                "004",
                "B",
                60,
                2,
                registered=False,
                status_claimed="非贫困户",
                should_be_registered=False,
                missed_people=0,
            ),
            # a registered household with one member left out of the registration
            household("005", "B", 20, 3, meets_exit_standard=True, missed_people=1),
        ]
        r = estimate_rates(pl.DataFrame(rows), levels=("county",)).get(COUNTY, "missed_rate")
        assert r is not None
        # numerator 30·5 + 20·1 = 170; denominator 30·(5+3+4) + 60·2 + 20·1 = 500
        assert r.estimate == pytest.approx(170 / 500)

    def test_households_as_the_unit_is_a_policy_parameter(self) -> None:
        est = estimate_rates(
            stratified_clustered_example(), RateParams(unit="households"), levels=("county",)
        )
        r = est.get(COUNTY, "wrong_exit_rate")
        assert r is not None
        # households: 10·1 + 20·1 + 20·1 = 50 wrong of 10·4 + 20·5 = 140
        assert r.estimate == pytest.approx(50 / 140)
        assert any("户数" in note for note in est.notes)


class TestSimpleSamples:
    def test_recognition_on_a_simple_random_sample_gets_the_exact_clopper_pearson_interval(
        self,
    ) -> None:
        rows = [
            {"region_code": "530102001001", "registered": False, "people": 3, "satisfied": i < 17}
            for i in range(20)
        ]
        r = estimate_rates(pl.DataFrame(rows), levels=("county",)).get(COUNTY, "recognition")
        assert r is not None
        assert r.estimate == pytest.approx(0.85)
        assert r.ci_method == "Clopper-Pearson"
        # the textbook exact interval for 17 of 20
        assert r.ci_low == pytest.approx(0.6211, abs=1e-4)
        assert r.ci_high == pytest.approx(0.9679, abs=1e-4)

    def test_the_wilson_interval_is_a_policy_choice_for_simple_samples(self) -> None:
        rows = [
            {"region_code": "530102001001", "registered": False, "people": 3, "satisfied": i < 17}
            for i in range(20)
        ]
        est = estimate_rates(
            pl.DataFrame(rows), RateParams(simple_interval="wilson"), levels=("county",)
        )
        r = est.get(COUNTY, "recognition")
        assert r is not None and r.ci_method == "Wilson"
        # the textbook Wilson score interval for 17 of 20 at z = 1.96
        assert r.ci_low == pytest.approx(0.6396, abs=1e-4)
        assert r.ci_high == pytest.approx(0.9476, abs=1e-4)

    def test_no_wrong_exit_found_still_gives_an_upper_bound_above_zero(self) -> None:
        rows = [
            household(f"{v:03d}", "A", 10, 3, meets_exit_standard=True)
            for v in range(1, 21)
            for _ in range(5)
        ]
        r = estimate_rates(pl.DataFrame(rows), levels=("county",)).get(COUNTY, "wrong_exit_rate")
        assert r is not None
        assert r.estimate == 0
        assert r.ci_low == 0
        assert 0 < r.ci_high < 0.05

    def test_clopper_pearson_of_nothing_found_in_n_is_the_rule_of_three(self) -> None:
        lo, hi = clopper_pearson(0, 100)
        assert lo == 0
        assert hi == pytest.approx(1 - 0.025 ** (1 / 100))


class TestIncidence:
    def test_the_comprehensive_incidence_adds_the_missed_and_wrong_exit_people(self) -> None:
        rows = stratified_clustered_example().to_dicts()
        rows += [
            household(
                "001",
                "A",
                30,
                5,
                registered=False,
                status_claimed="非贫困户",
                should_be_registered=True,
                missed_people=5,
            ),
            household(
                "002",
                "A",
                30,
                5,
                registered=False,
                status_claimed="非贫困户",
                should_be_registered=False,
                missed_people=0,
            ),
            household(
                "004",
                "B",
                60,
                2,
                registered=False,
                status_claimed="非贫困户",
                should_be_registered=False,
                missed_people=0,
            ),
            household(
                "005",
                "B",
                60,
                3,
                registered=False,
                status_claimed="非贫困户",
                should_be_registered=False,
                missed_people=0,
            ),
        ]
        pop = Population(
            rural_population=100_000, registered_not_exited=1_000, exited=9_000, registered=10_000
        )
        est = estimate_rates(pl.DataFrame(rows), populations={COUNTY: pop}, levels=("county",))
        r = est.get(COUNTY, "comprehensive_incidence")
        assert r is not None
        missed = 150 / (30 * 10 + 60 * 5)  # 0.25
        wrong = 120 / 380
        expected = (1_000 + missed * 90_000 + wrong * 9_000) / 100_000
        assert r.estimate == pytest.approx(expected)
        assert r.ci_low < r.estimate < r.ci_high
        assert r.ci_low >= 1_000 / 100_000  # never below the registered poor

    def test_without_registry_counts_the_incidence_is_left_out_and_the_notes_say_why(self) -> None:
        est = estimate_rates(stratified_clustered_example(), levels=("county",))
        assert est.get(COUNTY, "comprehensive_incidence") is None
        assert any("综合贫困发生率" in n and "未计算" in n for n in est.notes)


class TestRollUp:
    def test_rates_are_given_for_the_county_city_and_province(self) -> None:
        est = estimate_rates(stratified_clustered_example())
        assert est.get("530102000000", "wrong_exit_rate") is not None
        assert est.get("530100000000", "wrong_exit_rate") is not None
        assert est.get("530000000000", "wrong_exit_rate") is not None

    def test_two_counties_are_estimated_apart_and_together_in_their_city(self) -> None:
        a = stratified_clustered_example()
        b = a.with_columns(
            region_code=pl.col("region_code").str.replace("^530102", "530103"),
            meets_exit_standard=pl.lit(True),
        )
        est = estimate_rates(pl.concat([a, b]))
        assert est.get("530103000000", "wrong_exit_rate").estimate == 0  # type: ignore[union-attr]
        city = est.get("530100000000", "wrong_exit_rate")
        assert city is not None
        assert city.estimate == pytest.approx(120 / 760)

"""Stability of exits: a score explained by its drivers, with the weights of the policy file."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.engine.dataset import open_dataset
from fupin.engine.monitoring.policy import load_monitoring_policy
from fupin.engine.monitoring.scan import stability_scores
from tests.monitoring import county
from tests.monitoring.test_rules import edited_county, policy_with

AS_OF = dt.date(2018, 6, 1)


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    con = open_dataset(county.write(tmp_path_factory.mktemp("c")))
    return {s.household_id: s for s in stability_scores(con, load_monitoring_policy(), as_of=AS_OF)}


class TestStability:
    def test_only_exited_households_get_a_stability_score(self, scores):
        assert {"P0001", "P0002"}.isdisjoint(scores)
        assert {county.DROP, county.ILL, county.DISASTER, "S0001"} <= set(scores)

    def test_the_household_whose_income_dropped_is_the_least_stable(self, scores):
        ranked = sorted(scores.values(), key=lambda s: s.score)
        assert ranked[0].household_id == county.DROP
        assert ranked[0].weakest().id == "income_margin"

    def test_the_drivers_points_add_up_to_the_score(self, scores):
        for s in scores.values():
            assert sum(d.points for d in s.drivers) == pytest.approx(s.score, abs=0.3)

    def test_the_income_driver_follows_the_margin_over_the_line(self, scores):
        # 3,900 per head: (3,900 − 3,200) ÷ (3,200 × 1.0) = 0.21875 of the 35 points
        income = next(d for d in scores[county.DROP].drivers if d.id == "income_margin")
        assert income.value == pytest.approx(0.21875, abs=1e-4)
        assert income.points == pytest.approx(35 * 0.21875, abs=0.1)
        assert "3,900" in income.detail

    def test_an_ill_member_lowers_the_health_driver_by_their_share(self, scores):
        health = next(d for d in scores[county.ILL].drivers if d.id == "health")
        assert health.value == pytest.approx(0.5)  # one of two members

    def test_measures_of_the_current_year_count_as_still_active(self, scores):
        # every household has one 2018 measure; the full mark is two
        measures = next(d for d in scores["S0001"].drivers if d.id == "measures")
        assert measures.value == pytest.approx(0.5)

    def test_the_weights_come_from_the_policy_file(self, tmp_path):
        con = open_dataset(edited_county(tmp_path))
        changed = load_monitoring_policy(policy_with(tmp_path, stability_weight_measures=0))
        s = next(
            x for x in stability_scores(con, changed, as_of=AS_OF) if x.household_id == "S0001"
        )
        # without the measures driver, the stable household has full marks
        assert s.score == pytest.approx(100.0)

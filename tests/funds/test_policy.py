"""The funds policy file says what the seed text says (seed 004 items 31–33)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fupin.engine.funds import figures
from fupin.engine.funds.policy import FundsPolicyError, carryover_exceeds, load_funds_policy


class TestFundsPolicy:
    policy = load_funds_policy("funds-jiangxi-2017")

    def test_carry_over_limits_follow_seed_004_item_31_when_checked_in_2017(self):
        assert self.policy.carryover_limit(2017, 2017) == Decimal("0.08")
        assert self.policy.carryover_limit(2016, 2017) == Decimal("0.02")
        assert self.policy.carryover_limit(2015, 2017) == 0
        assert self.policy.carryover_limit(2012, 2017) == 0
        assert self.policy.carryover_limit(2018, 2017) is None

    def test_below_means_strictly_below_and_zero_means_nothing_left(self):
        assert not carryover_exceeds(
            figures.carryover_rate(Decimal("7999.99"), 100000), Decimal("0.08")
        )
        assert carryover_exceeds(figures.carryover_rate(8000, 100000), Decimal("0.08"))
        assert carryover_exceeds(figures.carryover_rate(Decimal("0.01"), 100000), Decimal(0))
        assert not carryover_exceeds(figures.carryover_rate(0, 100000), Decimal(0))

    def test_integration_minimums_are_eighty_percent_as_in_item_33(self):
        for name in (
            "integration_plan_ratio_min",
            "integration_done_ratio_min",
            "integration_spent_ratio_min",
        ):
            assert self.policy.number(name) == Decimal("0.8")

    def test_notices_are_due_by_31_december_of_the_fund_year_as_in_item_32(self):
        assert self.policy.notice_deadline(2017) == dt.date(2017, 12, 31)

    def test_every_rule_cites_a_seed_document_and_item(self):
        assert len(self.policy.rules) >= 14
        for rule in self.policy.rules.values():
            assert rule.enabled and rule.name
            assert rule.source.split(" ")[0] in {
                "000_7b83ec534104c8fb.txt",
                "002_a7b5605a1d10b5a9.txt",
                "003_5d930e5b7c96e2fa.txt",
                "004_78628046f63fb1bf.txt",
            }

    def test_the_integration_ratios_and_reconciliation_gap_are_exact_to_the_fen(self):
        ratios = figures.integration_ratios(1000, 800, 640, 639)
        assert ratios == {
            "plan": Decimal("0.8"),
            "done": Decimal("0.8"),
            "spent": Decimal("0.79875"),
        }
        assert figures.reconciliation_gap(
            Decimal("100.00"), Decimal("60.00"), Decimal("39.99")
        ) == Decimal("0.01")

    def test_an_unknown_policy_is_refused_in_chinese(self):
        with pytest.raises(FundsPolicyError, match="资金策略文件不存在"):
            load_funds_policy("funds-nowhere-1900")

    def test_the_file_is_also_a_valid_policy_file_for_the_shared_loader(self):
        from fupin.engine.policy.loading import load_policy

        shared = load_policy("funds-jiangxi-2017")
        assert shared.parameters["carryover_limit_current_year"].value == 0.08
        assert shared.parameters["rule_carryover_over_limit"].source.item == "31"

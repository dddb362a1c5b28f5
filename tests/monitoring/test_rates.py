"""返贫率 (seed 000 item 24) from its one function, checked from the policy's definition."""

from __future__ import annotations

import pytest

from fupin.engine.dataset import open_dataset
from fupin.engine.monitoring.policy import load_monitoring_policy
from fupin.engine.monitoring.rates import return_to_poverty_rate
from fupin.engine.monitoring.scan import exit_counts
from tests.monitoring import county
from tests.registry import dataset


class TestReturnRate:
    def test_the_policy_counts_the_rate_in_households(self):
        assert load_monitoring_policy().value("return_rate_unit") == "户"

    def test_returned_households_over_households_that_ever_exited(self):
        # 3 returned of 3 + 97 that exited: 3 %
        rate = return_to_poverty_rate(
            exited_households=97,
            exited_people=300,
            returned_households=3,
            returned_people=12,
            unit="户",
        )
        assert (rate.returned, rate.ever_exited) == (3, 100)
        assert rate.percent == pytest.approx(3.0)

    def test_the_rate_in_people_uses_people_on_both_sides(self):
        rate = return_to_poverty_rate(
            exited_households=97,
            exited_people=300,
            returned_households=3,
            returned_people=12,
            unit="人",
        )
        assert rate.percent == pytest.approx(100 * 12 / 312)

    def test_without_exits_there_is_no_rate(self):
        rate = return_to_poverty_rate(
            exited_households=0,
            exited_people=0,
            returned_households=0,
            returned_people=0,
            unit="户",
        )
        assert rate.percent is None
        assert "无" in str(rate)

    def test_an_unknown_unit_is_refused(self):
        with pytest.raises(ValueError, match="口径"):
            return_to_poverty_rate(
                exited_households=1,
                exited_people=1,
                returned_households=0,
                returned_people=0,
                unit="村",
            )

    def test_counts_from_a_data_set_give_the_rate(self, tmp_path):
        data = county.rows()
        for h in data["households"]:
            if h["household_id"] in ("S0001", "S0002"):
                h.update(status="返贫", exit_year="")
        con = open_dataset(dataset.write(tmp_path / "c", data))
        counts = exit_counts(con)
        # 28 exited households in the file, two of them now 返贫; two members each
        assert (counts.exited_households, counts.returned_households) == (26, 2)
        assert (counts.exited_people, counts.returned_people) == (52, 4)
        county_only = exit_counts(con, region=county.COUNTY)
        assert county_only.exited_households == 25

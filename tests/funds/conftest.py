from __future__ import annotations

import pytest

from tests.funds.registry_county import COUNTY, make_county


@pytest.fixture
def county(db) -> str:
    make_county()
    return COUNTY


@pytest.fixture
def demo_county(county: str) -> str:
    from fupin.funds.demo import generate_funds

    generate_funds(county, seed=7, year=2017, projects_per_year=4, paid_households=12)
    return county

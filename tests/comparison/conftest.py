"""The site's personas (tests/web/conftest.py) and one stored comparison over their county."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fupin.engine.comparison.rosters import import_rosters, load_rosters
from fupin.engine.comparison.rules import load_rules
from fupin.engine.comparison.run import ComparisonResult, compare
from fupin.engine.dataset import open_dataset
from tests.comparison.builder import small_county
from tests.web.conftest import (  # noqa: F401  (fixtures)
    clerk,
    fast_passwords,
    outsider,
    registry,
    reviewer,
)

AS_OF = dt.date(2017, 12, 31)


def compared(folder: Path) -> ComparisonResult:
    registry_dir, rosters_dir = small_county().write(folder)
    con = open_dataset(registry_dir)
    load_rosters(con, import_rosters(rosters_dir))
    return compare(con, as_of=AS_OF, rules=load_rules("compare-yunnan-2017"))


@pytest.fixture(scope="session")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> ComparisonResult:
    return compared(tmp_path_factory.mktemp("cmp"))


@pytest.fixture
def stored(registry, comparison: ComparisonResult):  # noqa: F811
    from fupin.comparison.storing import store_findings

    return store_findings(comparison, data_source="test", rosters_source="test")

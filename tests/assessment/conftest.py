"""The site's personas (tests/web/conftest.py) and a sampling plan drawn from their county
(龙陵县 530523: 新寨村 with H001 and H002, 大坪村 with H003, plus places for non-registered
households) by the engine, as `fupin sample` writes it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fupin.engine.assessment.decisions import load_assessment_policy
from fupin.engine.assessment.reports import write_plan_xlsx
from fupin.engine.assessment.sampling import draw_plan, load_frame
from fupin.engine.dataset import open_dataset
from tests.registry import dataset
from tests.web.conftest import (  # noqa: F401  (fixtures)
    OTHER_COUNTY,
    PASSWORD,
    assessor,
    clerk,
    empty_cache,
    fast_passwords,
    leader,
    outsider,
    registry,
    rows,
)

VILLAGE_A = dataset.VILLAGE_A
VILLAGE_B = "530523100002"


def draw(folder: Path, county: str = dataset.COUNTY, seed: int = 1) -> Path:
    data = dataset.write(folder / "ds", rows())
    pol = load_assessment_policy("assessment-yunnan-2017")
    params = pol.sampling_params(households=10)
    frame = load_frame(open_dataset(data), county, params, dt.date(2017, 12, 31))
    plan = draw_plan(frame, params, seed, snapshot="测试数据")
    return write_plan_xlsx(plan, folder / "plan.xlsx")


@pytest.fixture(scope="session")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return draw(tmp_path_factory.mktemp("plan"))


@pytest.fixture
def plan(registry, assessor, plan_file):  # noqa: F811
    from fupin.assessment.actions import do_upload_plan

    return do_upload_plan(
        plan_file, acting_user=assessor, name="龙陵县抽样方案", policy="assessment-yunnan-2017"
    )

"""Personas and the hand-made county (tests/monitoring/county.py) in the registry."""

from __future__ import annotations

import pytest

from fupin.registry.importing import import_dataset
from fupin.web.accounts import create_user
from tests.monitoring import county

PASSWORD = "Fupin-Test-2026!"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # personas are created in every test; the production hasher is slow on purpose
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def registry(db, tmp_path, monkeypatch):
    monkeypatch.setenv("FUPIN_HOME", str(tmp_path / "home"))
    result = import_dataset(county.write(tmp_path / "county"))
    assert result.committed, [str(p) for p in result.problems]
    return result


@pytest.fixture
def clerk(registry):
    """数据录入员 of 龙陵县: runs the monitoring loop."""
    return create_user("clerk", PASSWORD, "数据录入员", county.COUNTY, "龙陵县扶贫办")


@pytest.fixture
def reviewer(registry):
    """审核员 of 龙陵县: decides on 返贫."""
    return create_user("reviewer", PASSWORD, "审核员", county.COUNTY, "龙陵县扶贫办")


@pytest.fixture
def town_clerk(registry):
    """数据录入员 of 龙山镇 (township A): sees only its own villages."""
    return create_user("town_clerk", PASSWORD, "数据录入员", county.TOWN_A, "龙山镇")


@pytest.fixture
def outsider(registry):
    """A user of 施甸县 with every role: refused only because of the region."""
    return create_user(
        "outsider", PASSWORD, ["数据录入员", "审核员", "领导", "系统管理员"], county.OTHER_COUNTY
    )


@pytest.fixture
def assessor(registry):
    """评估员 of 龙陵县: may see figures, not registry cases."""
    return create_user("assessor", PASSWORD, "评估员", county.COUNTY, "第三方评估")

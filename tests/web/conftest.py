"""Personas of the site tests and the data set they work on.

The data set is the registry tests' small county (龙陵县 530523: villages 新寨村 530523100001
with H001 and H002, 大坪村 530523100002 with H003) plus a second county (施甸县 530524) with
one household H900, whose user is the outsider of every test.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from fupin.engine import idcard
from fupin.registry.importing import import_dataset
from fupin.web.accounts import create_user
from tests.registry import dataset

PASSWORD = "Fupin-Test-2026!"
OTHER_COUNTY = "530524000000"
OTHER_TOWN = "530524100000"
OTHER_VILLAGE = "530524100001"


def rows() -> dict[str, list[dict[str, str]]]:
    data = dataset.rows()
    data["regions"] += [
        {"code": OTHER_COUNTY, "name": "施甸县", "level": "县", "parent_code": "530500000000",
         "poverty_flag": "国定贫困县", "population": "1000"},
        {"code": OTHER_TOWN, "name": "甸阳镇", "level": "乡", "parent_code": OTHER_COUNTY,
         "poverty_flag": "", "population": ""},
        {"code": OTHER_VILLAGE, "name": "河湾村", "level": "村", "parent_code": OTHER_TOWN,
         "poverty_flag": "贫困村", "population": "500"},
    ]  # fmt: skip
    head = idcard.make("530524", dt.date(1966, 6, 6), 41)
    base = dict(data["households"][0])
    data["households"].append(
        dict(
            base,
            household_id="H900",
            region_code=OTHER_VILLAGE,
            head_name="孙九",
            head_id_number=head,
        )
    )
    member = dict(data["members"][0])
    data["members"].append(
        dict(
            member,
            household_id="H900",
            id_number=head,
            name="孙九",
            sex="男",
            birth_date="1966-06-06",
        )
    )
    return data


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Hashing is not what these tests are about; PBKDF2 would take most of their time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    """Region figures are cached by data version; test databases reuse ids after a rollback."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def threads_read_the_memory_database_without_table_locks():
    """Checks and imports run in threads (fupin.web.jobs), each with its own connection.

    The SQLite test database is an in-memory one in shared-cache mode, where a connection
    reading a table holds a table lock that makes another connection's write to it fail at
    once ("database table is locked"), with no busy timeout: a job saving its end while the
    test polls its status would fail by chance. The site's own database is a file, where the
    writer waits for the reader. Readers that take no table locks give the tests the same.
    """
    from django.db import connections
    from django.db.backends.signals import connection_created

    def relax(sender, connection, **kwargs):
        if connection.vendor == "sqlite" and "mode=memory" in str(connection.settings_dict["NAME"]):
            connection.connection.execute("PRAGMA read_uncommitted = 1")

    connection_created.connect(relax)
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            relax(None, conn)
    yield
    connection_created.disconnect(relax)


@pytest.fixture
def registry(db, tmp_path, monkeypatch):
    monkeypatch.setenv("FUPIN_HOME", str(tmp_path / "home"))
    result = import_dataset(dataset.write(tmp_path / "ds", rows()))
    assert result.committed, [str(p) for p in result.problems]
    return result


@pytest.fixture
def clerk(registry):
    """数据录入员 of 新寨村 (village A)."""
    return create_user("clerk_a", PASSWORD, "数据录入员", dataset.VILLAGE_A, "新寨村委会")


@pytest.fixture
def reviewer(registry):
    """审核员 of 龙陵县."""
    return create_user("reviewer", PASSWORD, "审核员", dataset.COUNTY, "龙陵县扶贫办")


@pytest.fixture
def leader(registry):
    """领导 of 云南省."""
    return create_user("leader", PASSWORD, "领导", "530000000000", "省扶贫办")


@pytest.fixture
def outsider(registry):
    """A user of 施甸县 with every role but 评估员: refused only because of the region."""
    return create_user(
        "outsider",
        PASSWORD,
        ["数据录入员", "审核员", "领导", "系统管理员"],
        OTHER_COUNTY,
        "施甸县扶贫办",
    )


@pytest.fixture
def assessor(registry):
    return create_user("assessor", PASSWORD, "评估员", dataset.COUNTY, "第三方评估机构")


def client_for(client, user):
    client.force_login(user)
    return client


def external_resources(html: str) -> list[str]:
    """The addresses a page loads from another host (src, href or url() to //… or http…): a
    site for offices without the internet loads nothing from a CDN. (Searching the page for
    "cdn" also matched random CSRF tokens.)"""
    pattern = r"""(?:src|href)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)|url\(\s*["']?((?:https?:)?//[^"')]+)"""
    return [a or b for a, b in re.findall(pattern, html, flags=re.IGNORECASE)]

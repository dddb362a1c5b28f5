"""Household search stays fast at national scale: every query shape is answered from indexes.

At 10 million members a full scan of the member or household table takes seconds; an index
search takes milliseconds. SQLite's query plan says which one a query gets.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory

from fupin.registry.models import Member
from fupin.web.views import _search

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="reads SQLite's EXPLAIN QUERY PLAN"
)


def plan(user, params) -> list[str]:
    request = RequestFactory().get("/households/", params)
    request.user = user
    sql, args = _search(request)[:20].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, args)
        return [row[-1] for row in cursor.fetchall()]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "张三"},
        {"q": "H001"},
        {"q": "ID"},
        {},
        {"status": "未脱贫"},
        {"region": "530523100001"},
    ],
    ids=["name", "household number", "ID number", "browse", "status", "village"],
)
def test_search_never_scans_the_whole_household_or_member_table(leader, clerk, params):
    if params.get("q") == "ID":
        params = {"q": Member.objects.get(name="张三").id_number}
    for user in (leader, clerk):
        steps = plan(user, params)
        scans = [s for s in steps if s.startswith("SCAN")]
        assert not scans, steps
        # and paging by village then household needs no sort of the whole result
        assert "USE TEMP B-TREE FOR ORDER BY" not in steps or params.get("q"), steps

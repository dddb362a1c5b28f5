"""Exit verdicts on the pages: from the engine, on the latest snapshot of the registry."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fupin.registry.freezing import freeze
from fupin.web.models import AuditLog, ExitVerdict
from tests.web.conftest import client_for


def test_the_household_file_shows_the_verdict_and_gap_of_the_latest_snapshot(client, clerk):
    freeze(timezone.localdate())
    text = client_for(client, clerk).get("/households/H001/").content.decode()
    section = text[text.index('id="verdict"') :]
    # H001: (6000 + 3000 - 1000 + 0 + 1200.5) / 3 people = 3066.83 < 3200 (云南 2017)
    assert "未达标" in section
    assert "人均纯收入3,066.83元，低于标准3,200元" in section


def test_evaluating_the_latest_snapshot_fills_the_home_figures_and_search_filters(client, reviewer):
    freeze(timezone.localdate())
    c = client_for(client, reviewer)
    assert "尚未评估" in c.get("/").content.decode()
    c.post("/evaluate/")
    assert ExitVerdict.objects.count() == 4  # both counties
    stamps = set(ExitVerdict.objects.values_list("evaluated_at", flat=True))
    assert len(stamps) == 1 and abs(timezone.now() - stamps.pop()) < dt.timedelta(minutes=5)
    assert AuditLog.objects.filter(action="运行退出评估").exists()
    home = c.get("/").content.decode()
    # H002 passes; H001 (income) and H003 (no measures recorded) fail; none is a wrong exit
    assert 'id="count-passed">1<' in home
    assert 'id="count-failed">2<' in home
    assert 'id="count-risks">0<' in home
    assert "criterion=income" in home
    failing = c.get("/households/", {"verdict": "未达标"}).content.decode()
    assert "/households/H001/" in failing and "/households/H003/" in failing
    assert "/households/H002/" not in failing
    by_income = c.get("/households/", {"criterion": "income"}).content.decode()
    assert "/households/H001/" in by_income and "/households/H003/" not in by_income
    # the village and county pages show their own verdicts
    village = c.get("/regions/530523100001/").content.decode()
    section = village[village.index('id="region-verdict"') :]
    assert "贫困村退出评估" in section and "达标" in section
    county = c.get("/regions/530523000000/").content.decode()
    section = county[county.index('id="region-verdict"') :]
    assert "数据不全" in section and "缺少数据、无法判断" in section


def test_a_clerk_cannot_run_the_evaluation(client, clerk):
    assert client_for(client, clerk).post("/evaluate/").status_code == 403


def test_after_an_evaluation_the_file_shows_the_stored_verdict_and_explains_on_request(
    client, reviewer
):
    freeze(timezone.localdate())
    c = client_for(client, reviewer)
    c.post("/evaluate/")
    text = c.get("/households/H003/").content.decode()
    section = text[text.index('id="verdict"') :]
    assert "未达标" in section and "未录入帮扶措施" in section
    assert "精准帮扶措施已录入" in section  # the failed criterion by name
    assert 'id="explain"' in section
    explained = c.get("/households/H003/", {"explain": "1"}).content.decode()
    section = explained[explained.index('id="verdict"') :]
    assert "不愁吃（有必须的口粮）" in section  # every criterion, passed ones too


def test_the_stored_verdict_writes_the_income_with_two_decimals(client, reviewer):
    """As the income table above it does: 3033.00, not the float's 3033.0."""
    freeze(timezone.localdate())
    c = client_for(client, reviewer)
    c.post("/evaluate/")
    ExitVerdict.objects.filter(household_id="H003").update(per_capita_net_income=3033.0)
    text = c.get("/households/H003/").content.decode()
    section = text[text.index('id="verdict"') :]
    assert "人均纯收入 3033.00 元" in section


def test_the_api_gives_the_results_of_a_region_within_the_tokens_scope(client, reviewer, outsider):
    from fupin.web.api import issue_token

    freeze(timezone.localdate())
    client_for(client, reviewer).post("/evaluate/")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(reviewer)}"}
    data = client.get("/api/regions/530523100001/results", **auth).json()
    assert (data["passed"], data["failed"], data["verdict"]) == (1, 1, "达标")
    assert data["failed_criteria"][0]["criterion"] == "income"
    outsider_auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(outsider)}"}
    assert client.get("/api/regions/530523100001/results", **outsider_auth).status_code == 404


def test_the_search_page_offers_the_criteria_of_the_provinces_exit_policy(client, clerk):
    text = client_for(client, clerk).get("/households/").content.decode()
    # 云南省 → yunnan-2017
    assert '<option value="income"' in text and "人均纯收入达到脱贫标准" in text

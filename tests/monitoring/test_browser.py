"""The whole monitoring loop through the site in a real browser: identify (rule scan) → verify
→ measure → follow-up → 风险消除, and a donor's pledge on the public network."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from fupin.monitoring import network
from fupin.monitoring.models import Case, Need, Pledge
from fupin.registry.models import Household
from tests.browsers import chromium
from tests.monitoring import county

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself (not by the live server) are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as b:
        yield b


def logged_in_page(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-CN")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


class TestBrowser:
    def test_a_full_loop_runs_through_the_site(self, live_server, browser, clerk):
        page = logged_in_page(browser, live_server, clerk)
        page.goto(f"{live_server.url}/monitoring/")
        page.click("#scan")
        page.wait_for_selector("text=新增监测对象3户")
        for household_id in county.PLANTED:
            assert page.locator(f'tr[data-household="{household_id}"]').count() == 1

        page.click(f'tr[data-household="{county.DROP}"] a')
        assert page.inner_text("#case-state") == "待核实"
        assert "收入下降" in page.inner_text("#risks")

        page.fill("#v-visitor", "李明")
        page.fill("#v-findings", "户主务工合同到期，收入下降属实")
        page.select_option("#v-confirmed", "1")
        page.click("#verify-form button[type=submit]")
        page.wait_for_selector("#measure-form")
        assert page.inner_text("#case-state") == "监测中"

        page.select_option("#m-kind", "就业扶持")
        page.fill("#m-description", "推荐到县工业园区务工")
        page.fill("#m-amount", "0")
        page.click("#measure-form button[type=submit]")
        page.wait_for_selector("#measures >> text=推荐到县工业园区务工")

        page.fill("#f-visitor", "李明")
        page.fill("#f-findings", "已在园区上岗，月收入3000元")
        page.click("#follow-up-form button[type=submit]")
        page.wait_for_selector("#visits >> text=跟踪回访")

        page.fill("#r-reason", "务工收入恢复，人均纯收入超过标准1.5倍")
        page.click("#remove-form button[type=submit]")
        page.wait_for_selector("#case-state >> text=风险消除")

        case = Case.objects.get(household_id=county.DROP)
        assert case.state == Case.REMOVED and case.closed_by == clerk
        assert list(case.events.values_list("action", flat=True)) == [
            "识别",
            "规则识别",
            "入户核实",
            "落实措施",
            "跟踪回访",
            "风险消除",
        ]
        assert case.measures.get().kind == "就业扶持"
        page.goto(f"{live_server.url}/monitoring/")
        assert page.inner_text("#n-removed") == "1"
        assert page.inner_text("#n-monitored") == "3"

    def test_a_donor_registers_and_pledges_on_the_public_network(self, live_server, browser, clerk):
        member = network.do_register_household(
            Household.objects.get(household_id="S0001"),
            consent_on=dt.date(2018, 10, 1),
            consent_note="户主签字同意书",
            acting_user=clerk,
        )
        need = network.do_publish_need(
            member,
            category="物资",
            title="需要化肥两袋",
            description="种植核桃需要化肥",
            published_on=dt.date(2018, 10, 1),
            acting_user=clerk,
        )
        page = browser.new_context(locale="zh-CN").new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/network/")
        page.click("text=需要化肥两袋")
        page.click("text=注册后认捐")
        page.select_option("#d-kind", "企业")
        page.fill("#d-name", "保山茶叶有限公司")
        page.fill("#d-phone", "08752123456")
        page.click("form button[type=submit]")
        page.wait_for_selector("#p-description")
        page.select_option("#p-kind", "捐物")
        page.fill("#p-description", "化肥两袋")
        page.fill("#p-amount", "300")
        page.click("form button[type=submit]")
        page.wait_for_selector("#need-state >> text=已对接")
        assert "保山茶叶有限公司" in page.inner_text("#pledges")
        pledge = Pledge.objects.get(need=need)
        assert (pledge.donor.kind, pledge.amount) == ("企业", 300)
        assert Need.objects.get(pk=need.pk).state == Need.MATCHED

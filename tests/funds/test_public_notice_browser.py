"""The public village notice in a real browser: Chinese text shown, no ID number in clear."""

from __future__ import annotations

import os
import re

import pytest

from fupin.funds.models import Payment
from tests.browsers import CHROMIUM, chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ID_IN_CLEAR = re.compile(r"\d{17}[\dXx]")


@pytest.fixture
def page():
    pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright runs an event loop
    with chromium() as browser:
        yield browser.new_page()


def test_the_village_notice_shows_chinese_names_and_only_masked_ids(demo_county, live_server, page):
    payment = Payment.objects.filter(fund_year=2017).select_related("village").first()
    page.goto(f"{live_server.url}/public/notices/{payment.village_id}/?year=2017")
    heading = page.locator("h1").inner_text()
    assert heading == f"{payment.village.name}扶贫资金项目公告公示"
    text = page.locator("body").inner_text()
    assert "到户资金发放名单" in text and "项目安排" in text
    assert payment.payee_name in text
    masked = payment.payee_id_number[:6] + "********" + payment.payee_id_number[-4:]
    assert masked in text
    assert not ID_IN_CLEAR.search(text)
    assert not ID_IN_CLEAR.search(page.content())
    # the year links work in the browser too
    page.click("text=2016年")
    page.wait_for_url("**year=2016")
    assert f"现将{payment.village.name}2016年扶贫资金安排" in page.locator("body").inner_text()

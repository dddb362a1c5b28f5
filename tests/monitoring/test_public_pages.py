"""Every public page of 社会扶贫网 is open without login and shows no ID number, phone or full
name of anybody: households, members, individual donors, helpers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import URLPattern

from fupin.engine import idcard
from fupin.monitoring import network
from fupin.monitoring.models import Donor, Need
from fupin.monitoring.urls import PUBLIC_NETWORK_NAMES, network_patterns
from fupin.registry.models import Household, Member, Region

TODAY = dt.date(2018, 10, 20)
ID_LIKE = re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9])")
MOBILE_LIKE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")


@pytest.fixture
def network_data(clerk):
    needs = []
    for i, hid in enumerate(("S0001", "S0002", "S0003", "S0004")):
        member = network.do_register_household(
            Household.objects.get(household_id=hid),
            consent_on=TODAY,
            consent_note="户主签字同意书",
            acting_user=clerk,
            style="title" if i % 2 else "stars",
        )
        needs.append(
            network.do_publish_need(
                member,
                category=Need.CATEGORIES[i],
                title=f"需求{i}",
                description="种植核桃需要帮助",
                amount="500",
                published_on=TODAY,
                acting_user=clerk,
            )
        )
    person = network.do_register_donor(kind="个人", name="王大伟", phone="13987654321")
    company = network.do_register_donor(kind="企业", name="保山茶叶有限公司", phone="08752123456")
    delivered = network.do_pledge(needs[0], person, kind="捐款", description="500元", amount="500")
    network.do_confirm_delivery(delivered, delivered_on=TODAY, acting_user=clerk)
    network.do_pledge(needs[1], company, kind="提供岗位", description="采茶工一名")
    return needs


def sensitive_strings() -> set[str]:
    out: set[str] = set()
    for h in Household.objects.all():
        out |= {h.head_name, h.head_id_number, idcard.mask(h.head_id_number)}
        out |= {h.phone, h.helper_phone, h.helper_name}
    for m in Member.objects.all():
        out |= {m.name, m.id_number, idcard.mask(m.id_number)}
    for d in Donor.objects.all():
        out.add(d.phone)
        if d.kind == "个人":
            out.add(d.name)
    return {s for s in out if s and len(s) >= 2}


def public_urls(needs) -> dict[str, list[str]]:
    regions = list(Region.objects.values_list("code", flat=True))
    return {
        "home": ["/network/"],
        "donors": ["/network/donors/"],
        "donor": ["/network/donor/", "/network/donor/?next=/network/need/1/"],
        "figures": ["/network/figures/", *[f"/network/figures/?region={c}" for c in regions]],
        "need": [f"/network/need/{n.pk}/" for n in Need.objects.all()],
    }


class TestPublicPages:
    def test_the_list_of_public_pages_covers_every_page_outside_management(self):
        names = {p.name for p in network_patterns if isinstance(p, URLPattern)}
        assert {n for n in names if not n.startswith("manage")} == set(PUBLIC_NETWORK_NAMES)

    def test_no_public_page_shows_an_id_number_a_phone_or_a_full_name(self, network_data):
        secrets = sensitive_strings()
        assert "王大伟" in secrets and len(secrets) > 100
        urls = public_urls(network_data)
        assert set(urls) == set(PUBLIC_NETWORK_NAMES)
        anonymous, donor = Client(), Client()
        donor.post(
            "/network/donor/", {"kind": "个人", "name": "刘德厚", "phone": "13711112222"}
        )  # a donor's session shows a greeting: with the surname only
        secrets |= {"刘德厚", "13711112222"}
        pages = 0
        for name, paths in urls.items():
            for path in paths:
                for client in (anonymous, donor):
                    response = client.get(path)
                    assert response.status_code == 200, (name, path)
                    html = response.content.decode()
                    leaked = sorted(s for s in secrets if s in html)
                    assert not leaked, (path, leaked)
                    assert not ID_LIKE.search(html), path
                    assert not MOBILE_LIKE.search(html), path
                    pages += 1
        assert pages == 2 * (1 + 1 + 2 + (1 + Region.objects.count()) + 4)

    def test_public_pages_show_village_and_masked_name_of_a_need(self, network_data):
        need = network_data[0]
        html = Client().get(f"/network/need/{need.pk}/").content.decode()
        assert need.region.name in html
        assert need.network_household.public_name in html
        assert "爱心人士王**" in html

    def test_management_pages_need_a_login(self, network_data):
        response = Client().get("/network/manage/")
        assert response.status_code == 302 and "login" in response["Location"]

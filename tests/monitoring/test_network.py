"""社会扶贫网: consent, publication without personal details, pledges, delivery, and the
figures of seed 004 item 37 from `network_figures`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fupin.monitoring import network
from fupin.monitoring.models import Need, NetworkManager, Pledge
from fupin.registry.models import Household, Region
from tests.monitoring import county

TODAY = dt.date(2018, 10, 20)


def register(household_id: str, user, style: str = "stars"):
    return network.do_register_household(
        Household.objects.get(household_id=household_id),
        consent_on=TODAY,
        consent_note="户主签字同意书",
        acting_user=user,
        style=style,
    )


def publish(member, user, title="需要化肥两袋", description="种植核桃需要化肥", **kw):
    return network.do_publish_need(
        member,
        category=kw.pop("category", "物资"),
        title=title,
        description=description,
        published_on=TODAY,
        acting_user=user,
        **kw,
    )


def donor(name="王大伟", kind="个人", region=None):
    return network.do_register_donor(kind=kind, name=name, phone="13987654321", region=region)


class TestPublication:
    def test_a_household_is_shown_by_surname_only(self, clerk):
        member = register("S0001", clerk)
        head = Household.objects.get(household_id="S0001").head_name
        assert member.public_name == head[0] + "**"
        titled = register("S0002", clerk, style="title")
        assert titled.public_name[1:] in ("先生", "女士")

    def test_registration_needs_the_way_consent_was_given(self, clerk):
        with pytest.raises(network.NetworkError, match="同意"):
            network.do_register_household(
                Household.objects.get(household_id="S0001"),
                consent_on=TODAY,
                consent_note=" ",
                acting_user=clerk,
            )

    def test_a_need_naming_a_member_or_giving_an_id_or_phone_is_refused(self, clerk):
        member = register("S0001", clerk)
        household = member.household
        spouse = household.members.exclude(relation="户主").first()
        for text, reason in (
            (f"{household.head_name}家需要化肥", "姓名"),
            (f"请联系{spouse.name}", "姓名"),
            (f"身份证{household.head_id_number}", "身份证号"),
            ("电话13912345678", "电话号码"),
        ):
            with pytest.raises(network.NetworkError, match=reason):
                publish(member, clerk, description=text)
        assert Need.objects.count() == 0


class TestMatching:
    def test_a_pledge_matches_the_need_and_the_confirmed_delivery_closes_it(self, clerk):
        need = publish(register("S0001", clerk), clerk)
        pledge = network.do_pledge(need, donor(), kind="捐物", description="化肥两袋", amount="300")
        need.refresh_from_db()
        assert need.state == Need.MATCHED
        network.do_confirm_delivery(pledge, delivered_on=TODAY, acting_user=clerk)
        need.refresh_from_db()
        pledge.refresh_from_db()
        assert (need.state, pledge.state, pledge.confirmed_by) == (Need.DELIVERED, "已送达", clerk)
        with pytest.raises(network.NetworkError, match="不能再认捐"):
            network.do_pledge(need, donor(), kind="捐款", description="再捐")

    def test_a_donor_needs_a_valid_phone(self, db):
        with pytest.raises(network.NetworkError, match="联系电话"):
            network.do_register_donor(kind="企业", name="某某公司", phone="123")

    def test_an_individual_donor_is_shown_by_surname_and_a_company_by_name(self, db):
        assert donor("王大伟").public_name == "爱心人士王**"
        assert donor("龙陵县茶叶有限公司", "企业").public_name == "龙陵县茶叶有限公司"


class TestFigures:
    def test_the_network_figures_of_a_region_count_each_kind_of_user_and_need(
        self, clerk, town_clerk
    ):
        village_a1 = "530523100001"  # 龙山镇
        village_b1 = "530523200001"  # 镇安镇
        town_a = Region.objects.get(code=county.TOWN_A)
        network.do_register_manager(
            clerk, Region.objects.get(code=county.COUNTY), registered_on=TODAY
        )
        network.do_register_manager(town_clerk, town_a, registered_on=TODAY)
        s1, s2, s3 = register("S0001", clerk), register("S0005", clerk), register("S0003", clerk)
        assert (s1.region_id, s2.region_id, s3.region_id) == (village_a1, village_a1, village_b1)
        n1 = publish(s1, clerk, title="化肥")
        n2 = publish(s2, clerk, title="务工岗位", category="就业", description="想到县城务工")
        n3 = publish(s3, clerk, title="收购核桃", category="消费扶贫", description="核桃500斤")
        withdrawn = publish(s3, clerk, title="旧需求")
        network.do_withdraw_need(withdrawn, acting_user=clerk)
        local = donor("赵小红", region=town_a)
        company = donor("保山市某茶叶公司", "企业")
        donor("钱多多")  # registered with no region and no pledge: counted only nationally
        p1 = network.do_pledge(n1, local, kind="捐物", description="化肥", amount="300")
        network.do_pledge(n3, company, kind="消费购买", description="收购", amount="5000")
        network.do_confirm_delivery(p1, delivered_on=TODAY, acting_user=clerk)

        whole = network.network_figures(county.COUNTY)
        assert (whole.households, whole.managers, whole.donors) == (3, 2, 2)
        assert (whole.published_needs, whole.matched_needs, whole.delivered_needs) == (3, 2, 1)
        assert whole.delivered_amount == Decimal("300")
        assert whole.users == 3 + 2 + 2
        a = network.network_figures(county.TOWN_A)
        assert (a.households, a.managers, a.donors, a.published_needs) == (2, 1, 1, 2)
        assert (a.matched_needs, a.delivered_needs) == (1, 1)
        b = network.network_figures(county.TOWN_B)
        assert (b.households, b.managers, b.donors) == (1, 0, 1)  # the company pledged there
        assert (b.published_needs, b.matched_needs, b.delivered_needs) == (1, 1, 0)
        everything = network.network_figures("")
        assert everything.donors == 3
        assert NetworkManager.objects.count() == 2
        assert n2.pledges.count() == 0 and Pledge.objects.count() == 2


class TestManagerPages:
    def test_a_manager_registers_publishes_and_confirms_delivery_through_the_site(self, clerk):
        from django.test import Client

        c = Client()
        c.force_login(clerk)
        assert c.get("/network/manage/").status_code == 200
        assert NetworkManager.objects.filter(user=clerk, region_id=county.COUNTY).exists()
        c.post(
            "/network/manage/register/",
            {"household_id": "S0001", "consent_on": "2018-10-01", "consent_note": "签字同意"},
        )
        member = Household.objects.get(household_id="S0001").network
        c.post(
            "/network/manage/publish/",
            {"member": member.pk, "category": "就业", "title": "求职", "description": "想务工"},
        )
        need = Need.objects.get(network_household=member)
        pledge = network.do_pledge(need, donor(), kind="提供岗位", description="采茶工")
        c.post(f"/network/manage/deliver/{pledge.pk}/")
        pledge.refresh_from_db()
        assert pledge.state == Pledge.DELIVERED and pledge.confirmed_by == clerk

    def test_a_manager_of_another_county_cannot_register_or_confirm_here(self, clerk, outsider):
        from django.test import Client

        c = Client()
        c.force_login(outsider)
        response = c.post(
            "/network/manage/register/",
            {"household_id": "S0001", "consent_on": "2018-10-01", "consent_note": "签字同意"},
            follow=True,
        )
        assert "不在您的管辖范围内" in response.content.decode()
        assert not hasattr(Household.objects.get(household_id="S0001"), "network")
        need = publish(register("S0002", clerk), clerk)
        pledge = network.do_pledge(need, donor(), kind="捐款", description="500元")
        c.post(f"/network/manage/deliver/{pledge.pk}/")
        pledge.refresh_from_db()
        assert pledge.state == Pledge.PLEDGED

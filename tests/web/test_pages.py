"""Pages of the site, through Django's test client, for the personas of conftest."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from fupin.registry.models import Household, Member
from fupin.web.models import AuditLog
from tests.registry import dataset
from tests.web.conftest import client_for, external_resources


def head_id(household_id: str) -> str:
    return Household.objects.get(household_id=household_id).head_id_number


class TestHome:
    def test_a_village_clerk_sees_the_counts_of_the_village_each_a_link(self, client, clerk):
        page = client_for(client, clerk).get("/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "新寨村 · 工作台" in text
        assert (
            f'href="/households/?region={dataset.VILLAGE_A}&amp;status=%E6%9C%AA%E8%84%B1%E8%B4%AB"'
            in text
        )
        assert 'id="count-households">2<' in text  # H001 and H002

    def test_a_province_leader_sees_the_whole_province_with_its_counties(self, client, leader):
        text = client_for(client, leader).get("/").content.decode()
        assert 'id="count-households">4<' in text
        assert "/regions/530500000000/" in text

    def test_the_charts_come_from_the_local_echarts_file_not_a_cdn(self, client, leader):
        text = client_for(client, leader).get("/").content.decode()
        assert "/static/web/echarts.min.js" in text
        assert external_resources(text) == []
        from django.contrib.staticfiles import finders

        assert finders.find("web/echarts.min.js")

    def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page(self, client, registry):
        page = client.get("/households/")
        assert page.status_code == 302
        assert page["Location"].startswith("/login/")


class TestSearch:
    def test_finds_a_household_by_the_head_name_and_masks_the_id(self, client, clerk):
        text = client_for(client, clerk).get("/households/", {"q": "张三"}).content.decode()
        assert "/households/H001/" in text
        assert head_id("H001") not in text
        assert head_id("H001")[:6] + "********" + head_id("H001")[-4:] in text

    def test_finds_a_household_by_a_member_id_and_by_member_name(self, client, clerk):
        c = client_for(client, clerk)
        child = Member.objects.get(name="张小")
        assert "/households/H001/" in c.get("/households/", {"q": child.id_number}).content.decode()
        assert "/households/H001/" in c.get("/households/", {"q": "张小"}).content.decode()

    def test_filters_by_status_and_village(self, client, reviewer):
        c = client_for(client, reviewer)
        text = c.get("/households/", {"status": "已脱贫"}).content.decode()
        assert "/households/H002/" in text and "/households/H001/" not in text
        text = c.get("/households/", {"region": dataset.VILLAGE_B}).content.decode()
        assert "/households/H003/" in text and "/households/H001/" not in text

    def test_excel_export_is_in_the_standard_format_and_audited(self, client, reviewer):
        c = client_for(client, reviewer)
        response = c.get("/households/export.xlsx", {"region": dataset.VILLAGE_A})
        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["regions", "households", "members", "measures", "villages"]
        rows = list(book["households"].values)
        assert rows[0][0] == "户编号"
        assert sorted(r[0] for r in rows[1:]) == ["H001", "H002"]
        assert AuditLog.objects.filter(username="reviewer", action="导出").exists()


class TestHouseholdFile:
    def test_shows_members_incomes_and_sum_measures_and_history(self, client, clerk):
        text = client_for(client, clerk).get("/households/H001/").content.decode()
        for expected in ("张三", "李四", "张小", "发放猪仔2头", "李明", "变更历史"):
            assert expected in text
        # 6000 + 3000 - 1000 + 0 + 1200.5
        assert "9200.50" in text
        assert head_id("H001") not in text

    def test_reveal_shows_the_full_id_and_is_written_to_the_audit_log(self, client, clerk):
        c = client_for(client, clerk)
        text = c.post("/households/H001/reveal/", REMOTE_ADDR="10.1.2.3").content.decode()
        assert head_id("H001") in text
        entry = AuditLog.objects.get(action="查看完整号码")
        assert (entry.username, entry.target, entry.ip) == ("clerk_a", "户 H001", "10.1.2.3")

    def test_a_leader_sees_masked_numbers_and_cannot_reveal(self, client, leader):
        c = client_for(client, leader)
        assert head_id("H001") not in c.get("/households/H001/").content.decode()
        assert c.post("/households/H001/reveal/").status_code == 403

    def test_exit_verdict_section_says_not_yet_evaluated_without_a_snapshot(self, client, clerk):
        text = client_for(client, clerk).get("/households/H001/").content.decode()
        assert "尚未评估" in text


class TestEditing:
    def test_an_invalid_id_shows_the_rule_and_changes_nothing(self, client, clerk):
        c = client_for(client, clerk)
        child = Member.objects.get(name="张小")
        url = f"/households/H001/members/{child.pk}/edit/"
        form = c.get(url)
        assert form.status_code == 200
        bad = child.id_number[:17] + ("0" if child.id_number[17] != "0" else "1")
        page = c.post(url, {"id_number": bad, "name": "张小"})
        assert page.status_code == 200
        assert "校验码错误" in page.content.decode()
        assert Member.objects.filter(id_number=child.id_number).exists()

    def test_a_birth_date_that_disagrees_with_the_id_is_refused_like_the_import(
        self, client, clerk
    ):
        c = client_for(client, clerk)
        child = Member.objects.get(name="张小")
        page = c.post(f"/households/H001/members/{child.pk}/edit/", {"birth_date": "2011-01-01"})
        assert "出生日期与身份证号不一致" in page.content.decode()

    def test_a_valid_change_is_saved_versioned_and_audited(self, client, clerk):
        c = client_for(client, clerk)
        child = Member.objects.get(name="张小")
        response = c.post(f"/households/H001/members/{child.pk}/edit/", {"school_status": "高中"})
        assert response.status_code == 302
        assert Member.objects.get(pk=child.pk).school_status == "高中"
        assert AuditLog.objects.filter(action="修改", username="clerk_a").exists()
        history = c.get("/households/H001/").content.decode()
        assert "在校生状况：初中 → 高中" in history

    def test_a_corrected_id_replaces_the_member_and_the_head_id(self, client, clerk):
        import datetime as dt

        from fupin.engine import idcard

        c = client_for(client, clerk)
        head = Member.objects.get(name="张三")
        new = idcard.make("530523", dt.date(1970, 3, 5), 15)
        response = c.post(f"/households/H001/members/{head.pk}/edit/", {"id_number": new})
        assert response.status_code == 302
        assert Member.objects.filter(id_number=new, name="张三").exists()
        assert Household.objects.get(household_id="H001").head_id_number == new

    def test_household_edit_uses_the_import_rules(self, client, clerk):
        c = client_for(client, clerk)
        page = c.post("/households/H001/edit/", {"wage_income": "很多"})
        assert page.status_code == 200
        assert Household.objects.get(household_id="H001").wage_income == 6000
        page = c.post("/households/H001/edit/", {"wage_income": "7000"})
        assert page.status_code == 302
        assert Household.objects.get(household_id="H001").wage_income == 7000

    def test_a_leader_cannot_edit(self, client, leader):
        assert client_for(client, leader).get("/households/H001/edit/").status_code == 403


class TestAdjustment:
    def test_an_exit_takes_effect_only_when_a_reviewer_approves_it(self, client, clerk, reviewer):
        c = client_for(client, clerk)
        c.post(
            "/households/H001/adjust/",
            {"kind": "标注脱贫", "year": "2018", "reason": "两不愁三保障已实现"},
        )
        assert Household.objects.get(household_id="H001").status == "未脱贫"
        c.logout()
        r = client_for(client, reviewer)
        assert '<div class="n">1</div>已脱贫户' in r.get("/").content.decode()
        listing = r.get("/adjustments/").content.decode()
        assert "两不愁三保障已实现" in listing
        from fupin.web.models import AdjustmentRequest

        item = AdjustmentRequest.objects.get()
        r.post(f"/adjustments/{item.pk}/review/", {"decision": "approve", "note": "同意"})
        h = Household.objects.get(household_id="H001")
        assert (h.status, h.exit_year) == ("已脱贫", 2018)
        item.refresh_from_db()
        assert (item.state, item.reviewed_by) == ("已批准", reviewer)
        # the home figures follow the change at once (they are cached by data version)
        home = r.get("/").content.decode()
        assert '<div class="n">2</div>已脱贫户' in home

    def test_a_clerk_cannot_approve_and_a_reviewer_cannot_edit(self, client, clerk, reviewer):
        assert client_for(client, clerk).get("/adjustments/").status_code == 403
        client.logout()
        assert client_for(client, reviewer).get("/households/H001/edit/").status_code == 403

    def test_an_adjustment_that_does_not_fit_the_status_is_refused(self, client, clerk):
        c = client_for(client, clerk)
        page = c.post(
            "/households/H001/adjust/", {"kind": "返贫", "year": "2018", "reason": "x"}, follow=True
        )
        assert "返贫只适用于贫困状态为已脱贫的户" in page.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/households/H001/helpcard.pdf",
        f"/regions/{dataset.VILLAGE_A}/register.pdf",
        f"/regions/{dataset.TOWN}/book.pdf",
    ],
)
def test_printouts_are_pdfs(client, reviewer, url):
    response = client_for(client, reviewer).get(url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert AuditLog.objects.filter(action="打印").exists()


def test_region_pages_show_the_village_indicators_and_the_county_villages(client, reviewer):
    c = client_for(client, reviewer)
    village = c.get(f"/regions/{dataset.VILLAGE_A}/").content.decode()
    assert "集体经济收入" in village and "35000" in village and "/households/H001/" in village
    county = c.get(f"/regions/{dataset.COUNTY}/").content.decode()
    assert f"/regions/{dataset.TOWN}/" in county
    villages = county[county.index('id="villages"') :]
    assert "新寨村" in villages and "大坪村" in villages
    assert f'href="/households/?region={dataset.VILLAGE_B}">1<' in villages


class TestVisits:
    def test_a_clerk_records_a_visit_shown_in_the_household_file(self, client, clerk):
        c = client_for(client, clerk)
        c.post(
            "/households/H001/visits/",
            {
                "visitor": "李明",
                "visitor_role": "帮扶责任人",
                "visited_on": "2018-03-01",
                "findings": "猪仔长势良好",
            },
        )
        text = c.get("/households/H001/").content.decode()
        assert "猪仔长势良好" in text and "2018-03-01" in text

    def test_a_visit_without_findings_is_not_saved(self, client, clerk):
        from fupin.registry.models import Visit

        c = client_for(client, clerk)
        page = c.post(
            "/households/H001/visits/", {"visitor": "李明", "visited_on": "2018-03-01"}, follow=True
        )
        assert "走访记录未保存" in page.content.decode()
        assert not Visit.objects.exists()


def test_an_administrator_creates_a_user_in_the_region_and_it_is_audited(client, outsider):
    c = client_for(client, outsider)
    response = c.post(
        "/users/",
        {
            "username": "clerk_b",
            "password": "Fupin-Test-2026!",
            "roles": ["数据录入员"],
            "region": "530524100001",
        },
    )
    assert response.status_code == 302
    listing = c.get("/users/").content.decode()
    assert "clerk_b" in listing and "outsider" in listing
    assert AuditLog.objects.filter(action="创建用户", target="clerk_b").exists()


def test_a_long_list_is_not_counted_past_the_cap(client, leader, monkeypatch):
    from fupin.web import views

    monkeypatch.setattr(views, "COUNT_CAP", 2)
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    text = client_for(client, leader).get("/households/").content.decode()
    assert "超过 2 户，请缩小查询范围" in text
    assert text.count('<tr><td><a href="/households/H') == 1 and "下一页" in text

"""The /monitoring/ pages: who may see and do what, scoped by region."""

from __future__ import annotations

from django.test import Client

from fupin.monitoring import actions
from fupin.monitoring.models import Case
from tests.monitoring import county


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def scanned(clerk) -> None:
    actions.do_scan_registry(county.COUNTY, acting_user=clerk)


class TestMonitoringPages:
    def test_anonymous_visitors_are_sent_to_the_login(self, registry):
        for path in ("/monitoring/", "/monitoring/overdue/", "/monitoring/report/"):
            response = Client().get(path)
            assert response.status_code == 302 and "login" in response["Location"]

    def test_the_clerk_scans_and_sees_the_raised_households(self, clerk):
        c = client_for(clerk)
        response = c.post("/monitoring/scan/", follow=True)
        html = response.content.decode()
        assert "新增监测对象3户" in html
        for household_id in county.PLANTED:
            assert f'data-household="{household_id}"' in html
        assert 'data-household="S0001"' not in html

    def test_a_township_clerk_sees_only_the_cases_of_its_villages(self, clerk, town_clerk):
        scanned(clerk)
        html = client_for(town_clerk).get("/monitoring/").content.decode()
        assert f'data-household="{county.DROP}"' in html
        assert f'data-household="{county.ILL}"' not in html
        other = Case.objects.get(household_id=county.ILL)
        assert client_for(town_clerk).get(f"/monitoring/case/{other.pk}/").status_code == 404

    def test_an_outsider_of_another_county_cannot_see_or_touch_a_case(self, clerk, outsider):
        scanned(clerk)
        case = Case.objects.get(household_id=county.DROP)
        c = client_for(outsider)
        assert c.get(f"/monitoring/case/{case.pk}/").status_code == 404
        response = c.post(
            f"/monitoring/case/{case.pk}/verify/",
            {"confirmed": "1", "visited_on": "2018-06-01", "visitor": "x", "findings": "x"},
        )
        assert response.status_code == 404
        case.refresh_from_db()
        assert case.state == Case.TO_VERIFY
        assert c.get(f"/monitoring/?region={county.COUNTY}").status_code == 404

    def test_an_assessor_may_not_see_monitoring_cases(self, assessor):
        assert client_for(assessor).get("/monitoring/").status_code == 403

    def test_a_reviewer_may_look_but_not_run_the_loop(self, clerk, reviewer):
        scanned(clerk)
        case = Case.objects.get(household_id=county.DROP)
        c = client_for(reviewer)
        assert c.get(f"/monitoring/case/{case.pk}/").status_code == 200
        assert c.post("/monitoring/scan/").status_code == 403

    def test_the_stability_partial_explains_the_score_of_a_household(self, clerk):
        html = client_for(clerk).get(f"/monitoring/household/{county.DROP}/stability/")
        text = html.content.decode()
        assert "脱贫稳定性" in text and "收入高出扶贫标准的幅度" in text
        assert "人均纯收入3,900元" in text

    def test_a_reported_edge_household_opens_a_case(self, clerk):
        response = client_for(clerk).post(
            "/monitoring/report/",
            {
                "kind": "edge",
                "region_code": "530523100002",
                "head_name": "吴大山",
                "people": "3",
                "risk_type": "灾害",
                "source": "干部报告",
                "detected_on": "2018-06-01",
                "detail": "房屋受损",
            },
        )
        case = Case.objects.get(edge__head_name="吴大山")
        assert response.status_code == 302 and response["Location"].endswith(f"/{case.pk}/")

    def test_overdue_and_ranking_pages_list_the_cases(self, clerk):
        scanned(clerk)
        c = client_for(clerk)
        ranking = c.get("/monitoring/follow-ups/").content.decode()
        assert ranking.index(county.DROP) < ranking.index(county.DISASTER)
        assert c.get("/monitoring/overdue/").status_code == 200

    def test_the_clerk_imports_the_latest_comparison_findings(self, clerk):
        from tests.monitoring.test_loop import comparison_run

        comparison_run(clerk)
        html = client_for(clerk).post("/monitoring/from-comparison/", follow=True).content.decode()
        assert "新增监测对象2户" in html
        assert 'data-household="S0001"' in html

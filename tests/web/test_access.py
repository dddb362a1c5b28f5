"""Region scoping: a user of another county is refused by every view, API call and upload.

The outsider holds every role except 评估员, so each refusal below comes from the region alone.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from fupin.registry.models import Member
from fupin.web.api import issue_token
from fupin.web.models import AdjustmentRequest, AuditLog
from tests.registry import dataset
from tests.web.conftest import OTHER_COUNTY, client_for, external_resources


def member_url() -> str:
    child = Member.objects.get(name="张小")
    return f"/households/H001/members/{child.pk}/edit/"


GET_404 = [
    "/households/H001/",
    "/households/H001/edit/",
    "/households/H001/helpcard.pdf",
    f"/regions/{dataset.VILLAGE_A}/",
    f"/regions/{dataset.COUNTY}/",
    f"/regions/{dataset.VILLAGE_A}/register.pdf",
    f"/regions/{dataset.TOWN}/book.pdf",
    "/regions/530000000000/",  # the outsider's own province is above their county
]
POST_404 = ["/households/H001/reveal/", "/households/H001/adjust/", "/households/H001/visits/"]


@pytest.mark.parametrize("url", GET_404)
def test_an_outsider_gets_404_for_a_page_of_another_county(client, outsider, url):
    assert client_for(client, outsider).get(url).status_code == 404


@pytest.mark.parametrize("url", POST_404)
def test_an_outsider_gets_404_when_posting_to_another_countys_household(client, outsider, url):
    response = client_for(client, outsider).post(
        url,
        {
            "kind": "标注脱贫",
            "year": "2018",
            "reason": "x",
            "visitor": "x",
            "visited_on": "2018-01-01",
            "findings": "x",
        },
    )
    assert response.status_code == 404
    assert not AdjustmentRequest.objects.exists()
    assert not AuditLog.objects.filter(action="查看完整号码").exists()
    from fupin.registry.models import Visit

    assert not Visit.objects.exists()


def test_an_outsider_cannot_edit_a_member_of_another_county(client, outsider):
    c = client_for(client, outsider)
    url = member_url()
    assert c.get(url).status_code == 404
    assert c.post(url, {"school_status": "高中"}).status_code == 404
    assert Member.objects.get(name="张小").school_status == "初中"


def test_the_same_users_reach_their_own_county(client, outsider):
    c = client_for(client, outsider)
    assert c.get("/households/H900/").status_code == 200
    assert c.get(f"/regions/{OTHER_COUNTY}/").status_code == 200


def test_an_outsider_does_not_find_another_countys_household_in_search(client, outsider):
    c = client_for(client, outsider)
    for params in ({"q": "张三"}, {"q": "H001"}, {"region": dataset.VILLAGE_A}, {}):
        text = c.get("/households/", params).content.decode()
        assert "/households/H001/" not in text
    assert "/households/H900/" in c.get("/households/").content.decode()


def test_an_outsiders_export_holds_only_their_own_county(client, outsider):
    response = client_for(client, outsider).get("/households/export.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert [r[0] for r in list(book["households"].values)[1:]] == ["H900"]
    assert {r[0] for r in list(book["regions"].values)[1:]} >= {OTHER_COUNTY}
    assert dataset.COUNTY not in {r[0] for r in list(book["regions"].values)[1:]}


def test_an_outsider_cannot_review_a_request_of_another_county(client, outsider, clerk):
    item = AdjustmentRequest.objects.create(
        household_id="H001", kind="标注脱贫", year=2018, reason="x", requested_by=clerk
    )
    c = client_for(client, outsider)
    assert "H001" not in c.get("/adjustments/").content.decode()
    assert c.post(f"/adjustments/{item.pk}/review/", {"decision": "approve"}).status_code == 404
    item.refresh_from_db()
    assert item.state == "待审核"


def test_an_outsiders_home_shows_only_their_county(client, outsider):
    text = client_for(client, outsider).get("/").content.decode()
    assert "施甸县" in text and "龙陵县" not in text


@pytest.mark.django_db(transaction=True)
def test_an_outsider_cannot_import_rows_of_another_county(client, outsider, tmp_path):
    from tests.web.test_import_page import job_of, upload, wait_until_finished

    c = client_for(client, outsider)
    job_id = job_of(upload(c, dataset.write(tmp_path / "upload")))
    assert wait_until_finished(c, job_id)[-1]["label"] == "超出管辖范围，不能导入"
    text = c.get(f"/import/jobs/{job_id}/").content.decode()
    assert "不在您的管辖范围内" in text
    assert "不能导入" in text and 'id="import-form"' not in text


def test_an_outsiders_audit_log_search_does_not_show_other_countys_users(client, outsider, clerk):
    AuditLog.objects.create(user=clerk, username="clerk_a", action="导出", target="户列表")
    text = client_for(client, outsider).get("/audit/").content.decode()
    assert "clerk_a" not in text


class TestApi:
    def auth(self, user):
        return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}

    def test_an_outsiders_token_gets_404_for_another_countys_household_and_region(
        self, client, outsider
    ):
        h = self.auth(outsider)
        assert client.get("/api/households/H001", **h).status_code == 404
        assert client.get("/api/households/H001/verdict", **h).status_code == 404
        assert client.get(f"/api/regions/{dataset.COUNTY}", **h).status_code == 404
        assert client.get(f"/api/regions/{dataset.COUNTY}/children", **h).status_code == 404
        listing = client.get("/api/households", **h).json()
        assert [x["household_id"] for x in listing["items"]] == ["H900"]
        assert client.get("/api/households", {"region": dataset.COUNTY}, **h).status_code == 404

    def test_a_clerks_token_reads_the_village_with_masked_ids(self, client, clerk):
        h = self.auth(clerk)
        data = client.get("/api/households/H001", **h).json()
        assert [m["name"] for m in data["members"]][:1] and "*" in data["head_id_number"]
        revealed = client.get("/api/households/H001", {"reveal": "true"}, **h).json()
        assert "*" not in revealed["head_id_number"]
        assert AuditLog.objects.filter(action="查看完整号码", username="clerk_a").exists()

    def test_no_token_or_a_wrong_token_is_refused(self, client, registry):
        assert client.get("/api/households").status_code == 401
        assert client.get("/api/households", HTTP_AUTHORIZATION="Bearer nope").status_code == 401

    def test_the_openapi_schema_documents_the_endpoints(self, client, registry):
        schema = client.get("/api/openapi.json").json()
        assert "/api/households/{household_id}" in schema["paths"]
        assert schema["components"]["securitySchemes"]


def test_an_assessor_sees_figures_but_not_households(client, assessor):
    c = client_for(client, assessor)
    assert c.get("/").status_code == 200
    assert c.get("/households/").status_code == 403
    assert c.get("/households/H001/").status_code == 403
    assert c.get("/households/export.xlsx").status_code == 403


def test_an_outsider_administrator_neither_lists_nor_creates_users_of_another_county(
    client, outsider, clerk
):
    c = client_for(client, outsider)
    assert "clerk_a" not in c.get("/users/").content.decode()
    page = c.post(
        "/users/",
        {
            "username": "intruder",
            "password": "Fupin-Test-2026!",
            "roles": ["审核员"],
            "region": dataset.COUNTY,
        },
    )
    assert "不在您的管辖范围内" in page.content.decode()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="intruder").exists()


def test_the_api_documentation_page_loads_nothing_from_a_cdn(client, registry):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert external_resources(page.content.decode()) == []

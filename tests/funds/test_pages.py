"""Funds pages: the public village notice (no login, masked IDs), PDFs, and refusals."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from fupin.funds.models import Notice, Payment
from fupin.funds.notices import notice_content, notice_pdf
from tests.funds.registry_county import COUNTY, VILLAGES
from tests.pdfs import assert_fonts_embedded, needs_poppler, pdf_text

ID_IN_CLEAR = re.compile(r"\d{17}[\dXx]")


@pytest.mark.django_db
class TestFundsPages:
    def test_the_public_village_page_needs_no_login_and_masks_every_id(self, demo_county, client):
        village = (
            Payment.objects.filter(fund_year=2017).values_list("village_id", flat=True).first()
        )
        response = client.get(f"/public/notices/{village}/?year=2017")
        assert response.status_code == 200
        html = response.content.decode()
        assert "扶贫资金项目公告公示" in html and "到户资金发放名单" in html
        payment = Payment.objects.filter(village_id=village, fund_year=2017).first()
        assert payment.payee_name in html
        assert payment.payee_id_number not in html
        assert payment.payee_id_number[:6] + "********" + payment.payee_id_number[-4:] in html
        assert not ID_IN_CLEAR.search(html)

    def test_payees_are_not_shown_before_the_village_publishes_them(self, demo_county, client):
        village = (
            Payment.objects.filter(fund_year=2017).values_list("village_id", flat=True).first()
        )
        Notice.objects.filter(region_id=village, kind="到户资金", fund_year=2017).delete()
        html = client.get(f"/public/notices/{village}/?year=2017").content.decode()
        name = Payment.objects.filter(village_id=village, fund_year=2017).first().payee_name
        assert "项目安排" in html and name not in html

    def test_a_village_without_notices_says_so(self, county, client):
        html = client.get(f"/public/notices/{VILLAGES[3]}/").content.decode()
        assert "暂无已发布的扶贫资金项目公示" in html

    def test_an_unknown_village_is_not_found(self, county, client):
        assert client.get("/public/notices/360726999999/").status_code == 404

    def test_the_public_pdf_of_a_village_is_a_pdf(self, demo_county, client):
        response = client.get(f"/public/notices/{VILLAGES[0]}/2017.pdf")
        assert response.status_code == 200 and response.content.startswith(b"%PDF")

    @needs_poppler
    def test_county_township_and_village_notices_render_as_pdf_in_a_chinese_font(self, demo_county):
        for code in (COUNTY, "360726100000", VILLAGES[0]):
            content = notice_content(code, 2017)
            pdf = notice_pdf(content)
            assert content.sections and pdf.startswith(b"%PDF")
            assert_fonts_embedded(pdf)  # readable on a machine without Chinese fonts
            assert content.title in "".join(pdf_text(pdf).split())

    def test_the_village_notice_lists_payees_with_masked_ids_only(self, demo_county):
        content = notice_content(VILLAGES[0], 2017)
        payees = next(s for s in content.sections if "到户资金" in s.heading)
        assert payees.rows and payees.header[:2] == ["姓名", "身份证号"]
        for row in payees.rows:
            assert "********" in row[1] and not ID_IN_CLEAR.search(" ".join(row))

    def test_the_county_page_is_refused_to_anonymous_visitors(self, demo_county, client):
        response = client.get(f"/funds/{COUNTY}/")
        assert response.status_code == 302 and "login" in response["Location"]
        assert client.get(f"/funds/{COUNTY}/ledger.xlsx").status_code == 302

    def test_an_administrator_sees_the_county_performance_and_downloads_the_ledger(
        self, demo_county, client
    ):
        admin = get_user_model().objects.create_superuser("boss", "", "Very-long-password-1")
        client.force_login(admin)
        html = client.get(f"/funds/{COUNTY}/?year=2017").content.decode()
        assert "安远县2017年扶贫资金绩效" in html and "未发现问题" in html
        ledger = client.get(f"/funds/{COUNTY}/ledger.xlsx")
        assert ledger.status_code == 200 and b"".join(ledger.streaming_content).startswith(b"PK")
        assert client.get("/funds/360799000000/").status_code == 404


@pytest.mark.django_db
class TestFundsAdmin:
    def test_every_funds_admin_list_opens_in_chinese(self, demo_county, client):
        client.force_login(
            get_user_model().objects.create_superuser("root", "", "Very-long-password-1")
        )
        for model in (
            "project",
            "allocation",
            "disbursement",
            "carryover",
            "integrationplan",
            "payment",
            "notice",
            "fundslog",
        ):
            response = client.get(f"/admin/funds/{model}/")
            assert response.status_code == 200, model
        assert "扶贫项目" in client.get("/admin/funds/project/").content.decode()

    def test_selected_projects_can_be_exported_from_the_admin(self, demo_county, client):
        from fupin.funds.models import Project

        client.force_login(
            get_user_model().objects.create_superuser("root", "", "Very-long-password-1")
        )
        chosen = list(Project.objects.values_list("pk", flat=True)[:2])
        response = client.post(
            "/admin/funds/project/",
            {"action": "export_selected_projects", "_selected_action": chosen},
        )
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
        from io import BytesIO

        from openpyxl import load_workbook

        rows = list(load_workbook(BytesIO(body)).active.iter_rows(values_only=True))
        assert len(rows) == 3 and rows[0][0] == "项目编号"

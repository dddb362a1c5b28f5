"""The files of `fupin assess --out` offered on the rates page: rates.csv, decisions.csv and the
county report as XLSX and PDF, for the plan's current findings, with the content the command
writes for the same survey, Chinese file names, and an audit entry per download."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from fupin.assessment import results
from fupin.web.models import AuditLog
from tests.assessment.test_pages import XLSX, assess_with_cli, fill
from tests.pdfs import assert_fonts_embedded, needs_poppler, pdf_text
from tests.web.conftest import client_for

COUNTY = "530523000000"


def url(plan, name: str) -> str:
    return f"/assessment/plans/{plan.pk}/results/{name}"


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


@needs_poppler
def test_the_four_downloads_are_the_files_of_fupin_assess(
    client, plan, assessor, plan_file, tmp_path
):
    c = client_for(client, assessor)
    fill(c, plan)
    page = c.get(f"/assessment/plans/{plan.pk}/rates/").content.decode()
    for name in ("rates.csv", "decisions.csv", "report.xlsx", "report.pdf"):
        assert f'href="{url(plan, name)}"' in page
    out = assess_with_cli(c, plan, plan_file, tmp_path)

    rates = c.get(url(plan, "rates.csv"))
    assert rates.status_code == 200
    assert rates["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_rows(rates.content) == csv_rows((out / "rates.csv").read_bytes())
    assert any(r["indicator"] == "recognition" for r in csv_rows(rates.content))

    decisions = c.get(url(plan, "decisions.csv"))
    assert decisions["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_rows(decisions.content) == csv_rows((out / "decisions.csv").read_bytes())

    report = c.get(url(plan, "report.xlsx"))
    assert report["Content-Type"] == XLSX
    site_book = load_workbook(io.BytesIO(report.content))
    cli_book = load_workbook(out / "report.xlsx")
    assert site_book.sheetnames == cli_book.sheetnames
    site_rates = [r for r in site_book["三率一度"].iter_rows(values_only=True)]
    assert site_rates == [r for r in cli_book["三率一度"].iter_rows(values_only=True)]
    verdict = next(r for r in site_book["结论"].iter_rows(values_only=True) if r[0] == COUNTY)
    site = results.plan_results(plan).assessment
    assert site is not None
    assert verdict[2] == next(d.verdict for d in site.decisions if d.region_code == COUNTY)
    recognition = site.estimates.get(COUNTY, "recognition")
    assert recognition is not None
    row = next(r for r in site_rates if r[0] == COUNTY and r[2] == "群众认可度")
    assert row[3] == pytest.approx(recognition.estimate)

    pdf = c.get(url(plan, "report.pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert_fonts_embedded(pdf.content)
    text = pdf_text(pdf.content)
    cli_text = pdf_text(out / "report.pdf")
    heading = f"评估结论：{verdict[2]}"
    assert heading in text and heading in cli_text
    assert f"{recognition.estimate:.2%}" in text and f"{recognition.estimate:.2%}" in cli_text
    assert "龙陵县抽样方案（网页录入）" in text

    entries = AuditLog.objects.filter(action="导出评估结果", target=f"assessment.plan:{plan.pk}")
    assert sorted(entries.values_list("detail", flat=True)) == [
        "decisions.csv",
        "rates.csv",
        "report.pdf",
        "report.xlsx",
    ]
    assert {e.username for e in entries} == {assessor.get_username()}


def test_the_files_have_chinese_names_by_rfc_5987(client, plan, assessor):
    from django.utils import timezone

    c = client_for(client, assessor)
    fill(c, plan)
    day = timezone.localdate().isoformat()
    response = c.get(url(plan, "report.xlsx"))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f'filename="report-530523-{day}.xlsx"' in disposition
    assert f"filename*=UTF-8''{quote(f'评估结果-龙陵县-{day}.xlsx')}" in disposition
    rates = c.get(url(plan, "rates.csv"))["Content-Disposition"]
    assert f"filename*=UTF-8''{quote(f'三率一度-龙陵县-{day}.csv')}" in rates


def test_without_findings_a_download_goes_back_to_the_rates_page_saying_why(client, plan, assessor):
    c = client_for(client, assessor)
    response = c.get(url(plan, "report.xlsx"), follow=True)
    assert response.redirect_chain[-1][0] == f"/assessment/plans/{plan.pk}/rates/"
    page = response.content.decode()
    assert "无法生成 report.xlsx：还没有录入任何调查户" in page
    assert 'id="result-files"' not in page
    assert not AuditLog.objects.filter(action="导出评估结果").exists()


def test_a_file_that_fupin_assess_does_not_write_is_404(client, plan, assessor):
    c = client_for(client, assessor)
    fill(c, plan)
    assert c.get(url(plan, "secrets.txt")).status_code == 404


def test_with_a_snapshot_the_files_are_those_of_fupin_assess_on_it(
    client, plan, assessor, plan_file, tmp_path
):
    from django.utils import timezone

    from fupin.registry.freezing import freeze

    c = client_for(client, assessor)
    fill(c, plan)
    snapshot = freeze(timezone.localdate())
    home = Path(os.environ["FUPIN_HOME"])
    out = assess_with_cli(
        c, plan, plan_file, tmp_path, "--snapshot", snapshot.name, "--no-pdf", home=home
    )
    rates = csv_rows(c.get(url(plan, "rates.csv")).content)
    assert rates == csv_rows((out / "rates.csv").read_bytes())
    assert any(r["indicator"] == "comprehensive_incidence" for r in rates)
    site_book = load_workbook(io.BytesIO(c.get(url(plan, "report.xlsx")).content))
    cli_book = load_workbook(out / "report.xlsx")
    for sheet in ("三率一度", "抽查村出列"):
        site = list(site_book[sheet].iter_rows(values_only=True))
        assert site == list(cli_book[sheet].iter_rows(values_only=True)), sheet
    assert len(list(site_book["抽查村出列"].iter_rows())) > 1  # the sampled villages are judged
    sources = {r[0]: r[1] for r in site_book["结论"].iter_rows(values_only=True)}
    assert f"快照 {snapshot.name}" in str(sources["建档立卡数据"])
    county = next(r for r in site_book["结论"].iter_rows(values_only=True) if r[0] == COUNTY)
    assert county[1] == "龙陵县"  # the report names the county from the snapshot's regions

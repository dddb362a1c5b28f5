"""The assessors' pages: plans uploaded and checked, findings entered household by household
with the survey rules of the engine, progress, survey.csv in and out, and the rates and county
decision computed as `fupin assess` computes them. Every view is scoped to the user's region."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.assessment import results
from fupin.assessment.models import Plan, Visit
from fupin.web.models import AuditLog
from tests.assessment.conftest import VILLAGE_A, VILLAGE_B, draw
from tests.web.conftest import client_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(name: str, content: bytes, kind: str = "text/csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=kind)


def visit(plan: Plan, *, registered: bool, village: str = VILLAGE_A, n: int = 0) -> Visit:
    return list(plan.visits.filter(registered=registered, region_code=village))[n]


def enter(client, plan: Plan, v: Visit, **cells: str):
    return client.post(f"/assessment/plans/{plan.pk}/visits/{v.pk}/", cells)


def fill(client, plan: Plan) -> None:
    """Findings for every registered household and three non-registered ones per village."""
    h1 = plan.visits.get(household_id="H001")
    h2 = plan.visits.get(household_id="H002")
    h3 = plan.visits.get(household_id="H003")
    assert enter(client, plan, h1, meets_exit_standard="否", satisfied="是").status_code == 302
    assert enter(client, plan, h2, meets_exit_standard="是", satisfied="否").status_code == 302
    assert (
        enter(client, plan, h3, meets_exit_standard="是", missed_people="1", satisfied="是")
    ).status_code == 302
    for village, found in ((VILLAGE_A, ("3", "0", "0")), (VILLAGE_B, ("0", "2", "0"))):
        for n, missed in enumerate(found):
            v = visit(plan, registered=False, village=village, n=n)
            response = enter(
                client,
                plan,
                v,
                people=str(3 + n),
                should_be_registered="是" if missed != "0" else "否",
                missed_people=missed,
                satisfied="是" if n != 2 else "否",
            )
            assert response.status_code == 302, response.content.decode()


class TestPlans:
    def test_an_assessor_uploads_a_plan_and_sees_the_households_to_visit(
        self, client, assessor, plan_file
    ):
        c = client_for(client, assessor)
        response = c.post(
            "/assessment/plans/upload/",
            {"file": upload("plan.xlsx", plan_file.read_bytes(), XLSX), "name": "方案一"},
        )
        assert response.status_code == 302
        plan = Plan.objects.get(name="方案一")
        assert plan.county_code == "530523000000"
        assert {v.household_id for v in plan.visits.filter(registered=True)} == {
            "H001",
            "H002",
            "H003",
        }
        assert plan.visits.filter(registered=False).count() > 0
        page = c.get(response["Location"]).content.decode()
        assert '已调查 <b id="done">0</b> 户' in page
        assert "H001" in page and "新寨村" in page
        assert AuditLog.objects.filter(action="上传抽样方案").exists()
        assert "方案一" in c.get("/assessment/").content.decode()

    def test_a_file_that_is_not_a_plan_is_refused_naming_the_file(self, client, assessor):
        c = client_for(client, assessor)
        response = c.post(
            "/assessment/plans/upload/", {"file": upload("名单.xlsx", b"not a workbook", XLSX)}
        )
        assert response.status_code == 400
        assert "名单.xlsx" in response.content.decode()
        assert not Plan.objects.exists()

    def test_a_plan_with_a_bad_row_shows_the_row_column_value_and_rule(
        self, client, assessor, plan_file, tmp_path
    ):
        from openpyxl import load_workbook

        book = load_workbook(plan_file)
        sheet = book["survey"]
        header = [c.value for c in sheet[1]]
        sheet.cell(row=3, column=header.index("建档立卡户") + 1, value="也许")
        broken = tmp_path / "坏方案.xlsx"
        book.save(broken)
        c = client_for(client, assessor)
        response = c.post(
            "/assessment/plans/upload/", {"file": upload("坏方案.xlsx", broken.read_bytes(), XLSX)}
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert 'id="problems"' in page
        assert (
            '<td>坏方案.xlsx[survey]</td><td class="num">3</td><td>建档立卡户</td><td>也许</td>'
            in page
        )
        assert not Plan.objects.exists()

    def test_a_plan_of_another_county_is_refused(self, client, registry, tmp_path):
        from fupin.web.accounts import create_user

        other = draw(tmp_path, county="530524000000")
        user = create_user("assessor_b", "Fupin-Test-2026!", "评估员", "530523000000", "评估组")
        response = client_for(client, user).post(
            "/assessment/plans/upload/", {"file": upload("other.xlsx", other.read_bytes(), XLSX)}
        )
        assert response.status_code == 403
        assert "不在您的管辖范围内" in response.content.decode()
        assert not Plan.objects.exists()


class TestRegionScope:
    def views(self, plan: Plan) -> list[tuple[str, str]]:
        v = plan.visits.first()
        base = f"/assessment/plans/{plan.pk}"
        return [
            ("get", f"{base}/"),
            ("get", f"{base}/rates/"),
            ("get", f"{base}/survey.csv"),
            ("get", f"{base}/results/rates.csv"),
            ("get", f"{base}/results/decisions.csv"),
            ("get", f"{base}/results/report.xlsx"),
            ("get", f"{base}/results/report.pdf"),
            ("get", f"{base}/visits/{v.pk}/"),
            ("post", f"{base}/visits/{v.pk}/"),
            ("post", f"{base}/survey/"),
        ]

    def test_it_answers_404_to_a_user_of_another_county_for_every_view(
        self, client, plan, outsider
    ):
        c = client_for(client, outsider)
        for method, url in self.views(plan):
            response = getattr(c, method)(url, {"satisfied": "是"} if method == "post" else None)
            assert response.status_code == 404, (method, url)
        assert plan.name not in c.get("/assessment/").content.decode()
        assert not plan.visits.filter(visited_at__isnull=False).exists()

    def test_it_answers_403_to_a_role_without_assessment_for_every_view(self, client, plan, clerk):
        c = client_for(client, clerk)
        urls = [*self.views(plan), ("get", "/assessment/"), ("post", "/assessment/plans/upload/")]
        for method, url in urls:
            assert getattr(c, method)(url).status_code == 403, (method, url)

    def test_it_sends_an_anonymous_visitor_to_the_login(self, client, plan):
        for method, url in self.views(plan):
            response = getattr(client, method)(url)
            assert response.status_code == 302 and "/login/" in response["Location"]

    def test_the_province_leader_sees_the_plan_of_a_county_of_the_province(
        self, client, plan, leader
    ):
        c = client_for(client, leader)
        assert c.get(f"/assessment/plans/{plan.pk}/").status_code == 200
        assert plan.name in c.get("/assessment/").content.decode()


class TestFindings:
    def test_findings_are_saved_and_the_progress_counts_them(self, client, plan, assessor):
        c = client_for(client, assessor)
        h1 = plan.visits.get(household_id="H001")
        response = enter(
            c, plan, h1, meets_exit_standard="否", missed_people="0", satisfied="是", next="1"
        )
        assert response.status_code == 302
        assert f"/assessment/plans/{plan.pk}/visits/" in response["Location"]  # the next one
        h1.refresh_from_db()
        assert h1.meets_exit_standard is False and h1.satisfied is True and h1.visited
        assert h1.visited_by == assessor
        page = c.get(f"/assessment/plans/{plan.pk}/").content.decode()
        assert (
            f'已调查 <b id="done">1</b> 户 / 应调查 <b id="total">{plan.visits.count()}</b> 户'
            in page
        )

    def test_a_finding_breaking_a_survey_rule_is_shown_next_to_its_field_and_not_saved(
        self, client, plan, assessor
    ):
        c = client_for(client, assessor)
        h1 = plan.visits.get(household_id="H001")
        response = enter(c, plan, h1, missed_people="九", satisfied="是")
        assert response.status_code == 400
        assert 'data-field="missed_people">' in response.content.decode()
        # the rules across fields of a household, once every value reads
        response = enter(c, plan, h1, should_be_registered="是", missed_people="1", satisfied="是")
        assert response.status_code == 400
        page = response.content.decode()
        assert (
            '<span class="error field-error" data-field="should_be_registered">'
            "“应纳未纳”只适用于非建档立卡户" in page
        )
        h1.refresh_from_db()
        assert not h1.visited and h1.satisfied is None

    def test_more_missed_people_than_people_is_refused(self, client, plan, assessor):
        c = client_for(client, assessor)
        v = visit(plan, registered=False)
        response = enter(c, plan, v, people="2", should_be_registered="是", missed_people="5")
        assert response.status_code == 400
        assert "漏评人口（5）不能多于家庭人口（2）" in response.content.decode()

    def test_a_non_registered_household_needs_its_people(self, client, plan, assessor):
        c = client_for(client, assessor)
        v = visit(plan, registered=False)
        response = enter(c, plan, v, should_be_registered="否", satisfied="是")
        assert response.status_code == 400
        assert 'data-field="people">必填项不能为空' in response.content.decode()

    def test_an_empty_form_is_not_a_visit(self, client, plan, assessor):
        response = enter(client_for(client, assessor), plan, plan.visits.first())
        assert response.status_code == 400
        assert "请至少填写一项调查结果" in response.content.decode()


class TestSurveyFiles:
    def test_a_survey_csv_with_errors_is_shown_as_a_table_and_nothing_is_imported(
        self, client, plan, assessor
    ):
        text = (
            "household_id,region_code,registered,status_claimed,people,meets_exit_standard,"
            "should_be_registered,missed_people,satisfied\n"
            f"H001,{VILLAGE_A},是,已脱贫,3,不知道,,0,是\n"
            f",{VILLAGE_A},否,非贫困户,0,,是,2,是\n"
        )
        c = client_for(client, assessor)
        response = c.post(
            f"/assessment/plans/{plan.pk}/survey/",
            {"file": upload("survey.csv", text.encode("utf-8"))},
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert (
            '<td>survey.csv</td><td class="num">2</td><td>meets_exit_standard</td><td>不知道</td>'
            in page
        )
        assert (
            '<td>survey.csv</td><td class="num">3</td><td>people</td><td>0</td><td>家庭人口至少为1</td>'
            in page
        )
        assert not plan.visits.filter(visited_at__isnull=False).exists()

    def test_a_household_outside_the_plan_is_refused(self, client, plan, assessor):
        text = (
            "household_id,region_code,registered,status_claimed,people,meets_exit_standard\n"
            f"H777,{VILLAGE_A},是,已脱贫,3,是\n"
        )
        response = client_for(client, assessor).post(
            f"/assessment/plans/{plan.pk}/survey/",
            {"file": upload("survey.csv", text.encode("utf-8"))},
        )
        assert response.status_code == 400
        assert "该户不在抽样方案" in response.content.decode()

    def test_the_downloaded_survey_csv_imports_back_to_the_same_findings(
        self, client, plan, assessor
    ):
        c = client_for(client, assessor)
        fill(c, plan)
        before = {
            (v.household_id, v.region_code, v.people, v.missed_people, v.satisfied)
            for v in plan.visits.filter(visited_at__isnull=False)
        }
        response = c.get(f"/assessment/plans/{plan.pk}/survey.csv")
        assert response.status_code == 200
        text = response.content.decode("utf-8-sig")
        assert text.splitlines()[0].startswith("household_id,region_code,registered")
        assert len(text.splitlines()) == 1 + len(before)
        again = c.post(
            f"/assessment/plans/{plan.pk}/survey/", {"file": upload("survey.csv", response.content)}
        )
        assert again.status_code == 302
        after = {
            (v.household_id, v.region_code, v.people, v.missed_people, v.satisfied)
            for v in plan.visits.filter(visited_at__isnull=False)
        }
        assert after == before


def fupin(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FUPIN_HOME": str(home)}
    env.pop("FUPIN_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "fupin", *args], capture_output=True, text=True, env=env, timeout=300
    )


def assess_with_cli(c, plan, plan_file: Path, tmp_path: Path, *options: str, home=None) -> Path:
    """`fupin assess` on the survey.csv the site gives for the plan; its output folder.

    home: the FUPIN_HOME of the command (the test's own, to read its snapshots), else tmp_path.
    """
    survey = tmp_path / "survey.csv"
    survey.write_bytes(c.get(f"/assessment/plans/{plan.pk}/survey.csv").content)
    out = tmp_path / "out"
    result = fupin(
        home or tmp_path,
        "assess",
        "--survey",
        str(survey),
        "--plan",
        str(plan_file),
        *options,
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    return out


class TestRates:
    def test_the_rates_page_shows_the_engine_rates_and_the_county_decision(
        self, client, plan, assessor
    ):
        c = client_for(client, assessor)
        fill(c, plan)
        response = c.get(f"/assessment/plans/{plan.pk}/rates/")
        assert response.status_code == 200
        page = response.content.decode()
        assert 'data-indicator="wrong_exit_rate" data-region="530523000000"' in page
        assert "群众认可度" in page and "95%置信区间" in page
        assert 'id="verdict-530523000000"' in page
        assert "受访非建档立卡户人口" in page  # which reading of 漏评率

    def test_the_rates_are_those_of_fupin_assess_on_the_same_survey(
        self, client, plan, assessor, plan_file, tmp_path
    ):
        c = client_for(client, assessor)
        fill(c, plan)
        out = assess_with_cli(c, plan, plan_file, tmp_path, "--no-pdf")
        with (out / "rates.csv").open(encoding="utf-8") as handle:
            cli = {(r["region_code"], r["indicator"]): r for r in csv.DictReader(handle)}
        site = results.plan_results(plan).assessment
        assert site is not None
        assert {(r.region_code, r.indicator) for r in site.estimates.rates} == set(cli)
        for r in site.estimates.rates:
            row = cli[(r.region_code, r.indicator)]
            for name in ("estimate", "ci_low", "ci_high"):
                assert f"{getattr(r, name):.6f}" == row[name], (r.indicator, name)
            assert str(r.n_households) == row["n_households"]
        with (out / "decisions.csv").open(encoding="utf-8") as handle:
            verdicts = {r["region_code"]: r["verdict"] for r in csv.DictReader(handle)}
        assert verdicts == {d.region_code: d.verdict for d in site.decisions}
        page = c.get(f"/assessment/plans/{plan.pk}/rates/").content.decode()
        recognition = site.estimates.get("530523000000", "recognition")
        assert recognition is not None
        assert f"{recognition.estimate * 100:.2f}%" in page

    def test_without_findings_the_rates_page_says_so(self, client, plan, assessor):
        page = client_for(client, assessor).get(f"/assessment/plans/{plan.pk}/rates/")
        assert page.status_code == 200
        assert "还没有录入任何调查户" in page.content.decode()


def test_survey_csv_is_utf8_with_the_format_header(client, plan, assessor):
    c = client_for(client, assessor)
    fill(c, plan)
    text = c.get(f"/assessment/plans/{plan.pk}/survey.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    h1 = next(r for r in rows if r["household_id"] == "H001")
    assert h1["meets_exit_standard"] == "否" and h1["registered"] == "是"
    assert h1["weight"] and h1["stratum"] and h1["cluster"] == VILLAGE_A


class TestRatesWithTheRegistry:
    def test_with_a_snapshot_the_incidence_and_decision_match_fupin_assess_on_it(
        self, client, plan, assessor, plan_file, tmp_path
    ):
        from django.utils import timezone

        from fupin.registry.freezing import freeze

        c = client_for(client, assessor)
        fill(c, plan)
        snapshot = freeze(timezone.localdate())
        site = results.plan_results(plan)
        assert site.assessment is not None
        assert snapshot.name in site.data_label
        incidence = site.assessment.estimates.get("530523000000", "comprehensive_incidence")
        assert incidence is not None, site.assessment.estimates.notes
        home = Path(os.environ["FUPIN_HOME"])
        out = assess_with_cli(
            c, plan, plan_file, tmp_path, "--snapshot", snapshot.name, "--no-pdf", home=home
        )
        with (out / "rates.csv").open(encoding="utf-8") as handle:
            cli = {(r["region_code"], r["indicator"]): r for r in csv.DictReader(handle)}
        row = cli[("530523000000", "comprehensive_incidence")]
        assert f"{incidence.estimate:.6f}" == row["estimate"]
        assert f"{incidence.ci_high:.6f}" == row["ci_high"]
        page = c.get(f"/assessment/plans/{plan.pk}/rates/").content.decode()
        assert 'data-indicator="comprehensive_incidence"' in page
        assert f"快照 {snapshot.name}" in page

    def test_the_village_reading_of_the_missed_rate_is_the_one_of_fupin_assess(
        self, client, plan, assessor, plan_file, tmp_path
    ):
        from django.utils import timezone

        from fupin.engine.assessment.decisions import policy_file
        from fupin.registry.freezing import freeze

        policy = tmp_path / "by-village.yaml"
        policy.write_text(
            policy_file("assessment-yunnan-2017")
            .read_text(encoding="utf-8")
            .replace("value: sampled_households", "value: village_population"),
            encoding="utf-8",
        )
        plan.policy = str(policy)
        plan.save()
        c = client_for(client, assessor)
        fill(c, plan)
        snapshot = freeze(timezone.localdate())
        site = results.plan_results(plan).assessment
        assert site is not None
        missed = site.estimates.get("530523000000", "missed_rate")
        assert missed is not None
        # 新寨村: population 1200 − 5 registered people, 3 missed found; 大坪村: 900 − 1, with
        # 1 left out of H003 and 2 found; both villages drawn with certainty
        assert missed.estimate == pytest.approx((3 + 3) / (1195 + 899))
        assert "抽中村" in site.estimates.definitions["missed_rate"]
        home = Path(os.environ["FUPIN_HOME"])
        options = ("--snapshot", snapshot.name, "--policy", str(policy), "--no-pdf")
        out = assess_with_cli(c, plan, plan_file, tmp_path, *options, home=home)
        with (out / "rates.csv").open(encoding="utf-8") as handle:
            cli = {(r["region_code"], r["indicator"]): r for r in csv.DictReader(handle)}
        assert f"{missed.estimate:.6f}" == cli[("530523000000", "missed_rate")]["estimate"]

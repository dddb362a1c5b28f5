"""Stored findings and the /comparison/ pages, for the site's personas."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from fupin.comparison.models import Finding
from fupin.engine import idcard
from fupin.engine.comparison.rosters import import_rosters, load_rosters
from fupin.engine.comparison.rules import load_rules
from fupin.engine.comparison.run import compare
from fupin.engine.dataset import open_dataset
from tests.comparison.builder import COUNTY, VILLAGE_A, VILLAGE_B, small_county
from tests.comparison.conftest import AS_OF
from tests.web.conftest import OTHER_COUNTY, client_for


class TestStoredFindings:
    def test_every_finding_of_the_run_is_stored_with_its_match(self, stored) -> None:
        findings = list(stored.findings.filter(finding_id="uninsured_medical"))
        assert {(f.name, f.region_code) for f in findings} == {
            ("王丽", VILLAGE_A),
            ("李四", VILLAGE_B),
        }
        assert stored.summary["by_finding"]["uninsured_medical"] == 2
        assert stored.as_of.isoformat() == "2017-12-31"

    def test_a_finding_gives_the_reference_a_rectification_item_links_to(self, stored) -> None:
        finding = stored.findings.first()
        assert finding.ledger_ref() == ("comparison", str(finding.pk))


class TestFindingPages:
    def test_a_county_reviewer_sees_the_findings_of_the_whole_county(
        self, client, reviewer, stored
    ) -> None:
        page = client_for(client, reviewer).get("/comparison/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "王丽" in text and "李四" in text and "未参加基本医疗保险" in text

    def test_a_village_clerk_sees_only_the_village(self, client, clerk, stored) -> None:
        text = client_for(client, clerk).get("/comparison/").content.decode()
        assert "王丽" in text and "李四" not in text

    def test_an_outsider_sees_none_of_them(self, client, outsider, stored) -> None:
        page = client_for(client, outsider).get("/comparison/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "王丽" not in text and "李四" not in text and "没有发现" in text

    def test_an_anonymous_visitor_is_sent_to_log_in(self, client, stored) -> None:
        page = client.get("/comparison/")
        assert page.status_code == 302 and "/login/" in page["Location"]

    def test_findings_filter_by_region_and_finding(self, client, reviewer, stored) -> None:
        c = client_for(client, reviewer)
        text = c.get(f"/comparison/?region={VILLAGE_B}").content.decode()
        assert "李四" in text and "王丽" not in text
        text = c.get("/comparison/?finding=pension_gap").content.decode()
        assert "王丽" not in text and "没有发现" in text

    def test_the_excel_export_holds_the_filtered_findings_with_masked_ids(
        self, client, reviewer, clerk, stored
    ) -> None:
        response = client_for(client, clerk).get(
            "/comparison/export.xlsx?finding=uninsured_medical"
        )
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.values)
        assert rows[0][:3] == ("问题类型", "问题名称", "严重程度")
        assert [r[5] for r in rows[1:]] == ["王丽"]
        full = Finding.objects.get(run=stored, name="王丽").id_number
        assert rows[1][4] == full  # a clerk may reveal ID numbers

    def test_an_outsiders_export_is_empty(self, client, outsider, stored) -> None:
        response = client_for(client, outsider).get("/comparison/export.xlsx")
        rows = list(load_workbook(io.BytesIO(response.content)).active.values)
        assert len(rows) == 1


class TestRectification:
    def test_a_clerk_turns_a_finding_into_one_ledger_problem(self, client, clerk, stored) -> None:
        from fupin.governance.models import Problem

        finding = stored.findings.get(finding_id="uninsured_medical", name="王丽")
        c = client_for(client, clerk)
        for _ in range(2):  # a second click does not make a second problem
            response = c.post(
                f"/comparison/{finding.pk}/rectify/", {"next": "https://evil.example/"}
            )
            assert response.status_code == 302 and response["Location"] == "/comparison/"
        [problem] = Problem.objects.filter(source_kind="comparison", source_ref=str(finding.pk))
        assert problem.region_code == VILLAGE_A and "王丽" in problem.text
        assert "已列入台账" in c.get("/comparison/").content.decode()

    def test_a_finding_outside_the_users_region_is_not_found(self, client, clerk, stored) -> None:
        other = stored.findings.get(finding_id="uninsured_medical", name="李四")
        response = client_for(client, clerk).post(f"/comparison/{other.pk}/rectify/")
        assert response.status_code == 404

    def test_a_reviewer_without_the_edit_right_is_refused(self, client, reviewer, stored) -> None:
        finding = stored.findings.first()
        response = client_for(client, reviewer).post(f"/comparison/{finding.pk}/rectify/")
        assert response.status_code == 403


@pytest.fixture
def unregistered(registry, tmp_path):
    """A stored run whose 民政 roster lists two 低保 heads missing from the registry, one with an
    ID of 龙陵县 and one of 施甸县 (both counties of the registry)."""
    from fupin.comparison.storing import store_findings

    c = small_county()
    c.regions.append(
        {"code": OTHER_COUNTY, "name": "施甸县", "level": "县", "parent_code": "530500000000"}
    )
    for prefix, born, name in (("530523", "1955-01-01", "冯八"), ("530524", "1957-02-02", "孙十")):
        head = idcard.make(prefix, dt.date.fromisoformat(born), 901)
        c.roster("roster_civil", id_number=head, name=name, kind="低保", household_head_id=head)
    registry_dir, rosters_dir = c.write(tmp_path)
    con = open_dataset(registry_dir)
    load_rosters(con, import_rosters(rosters_dir))
    result = compare(con, as_of=AS_OF, rules=load_rules("compare-yunnan-2017"))
    return store_findings(result, data_source="test", rosters_source="test")


class TestFindingsWithoutHousehold:
    """A roster row that matched no registry household is shown to the county of its ID."""

    def test_they_are_stored_under_the_county_of_the_id(self, unregistered) -> None:
        found = {
            f.name: (f.region_code, f.detail)
            for f in unregistered.findings.filter(finding_id="dibao_not_registered")
        }
        assert found["冯八"][0] == COUNTY and "按身份证号前六位归属到龙陵县" in found["冯八"][1]
        assert found["孙十"][0] == OTHER_COUNTY and "归属到施甸县" in found["孙十"][1]

    def test_the_county_reviewer_sees_the_one_of_the_county(
        self, client, reviewer, unregistered
    ) -> None:
        text = client_for(client, reviewer).get("/comparison/").content.decode()
        assert "冯八" in text and "按身份证号前六位归属到龙陵县" in text
        assert "孙十" not in text

    def test_a_user_of_the_other_county_sees_only_its_own(
        self, client, outsider, unregistered
    ) -> None:
        text = client_for(client, outsider).get("/comparison/").content.decode()
        assert "孙十" in text and "冯八" not in text

    def test_a_village_clerk_does_not_see_a_finding_known_only_by_county(
        self, client, clerk, unregistered
    ) -> None:
        text = client_for(client, clerk).get("/comparison/").content.decode()
        assert "冯八" not in text and "王丽" in text

    def test_the_county_may_put_its_own_on_the_ledger_and_not_the_other(
        self, client, outsider, unregistered
    ) -> None:
        from fupin.governance.models import Problem

        own = unregistered.findings.get(finding_id="dibao_not_registered", name="孙十")
        other = unregistered.findings.get(finding_id="dibao_not_registered", name="冯八")
        c = client_for(client, outsider)
        assert c.post(f"/comparison/{own.pk}/rectify/").status_code == 302
        [problem] = Problem.objects.filter(source_kind="comparison", source_ref=str(own.pk))
        assert problem.region_code == OTHER_COUNTY
        assert c.post(f"/comparison/{other.pk}/rectify/").status_code == 404

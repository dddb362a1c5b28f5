"""The year comparison (年度对比): figures per year from the registry history.

The history is built with known changes: the registry imported as it stood in mid-2018, then a
second import effective 2019-03-01 in which H001 exits (脱贫年度 2019), H002 returns to poverty,
a new household H004 (two people, 识别年度 2019) is identified in 大坪村, and 新寨村's
population grows from 1,200 to 1,250.
"""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest
from django.utils import timezone

from fupin.registry.freezing import freeze
from fupin.registry.importing import import_dataset
from fupin.registry.models import Region
from fupin.web import stats, yearly
from fupin.web.accounts import create_user
from tests.registry import dataset
from tests.web.conftest import OTHER_COUNTY, PASSWORD, client_for, rows

TOWN = dataset.TOWN


def rows_2019() -> dict[str, list[dict[str, str]]]:
    data = rows()
    for r in data["regions"]:
        if r["code"] == dataset.VILLAGE_A:
            r["population"] = "1250"
    by_id = {h["household_id"]: h for h in data["households"]}
    by_id["H001"].update(status="已脱贫", exit_year="2019")
    by_id["H002"].update(status="返贫", exit_year="")
    head = dataset.pid("1988-02-02", 41)
    child = dataset.pid("2012-05-05", 43)
    data["households"].append(
        dict(
            by_id["H003"],
            household_id="H004",
            region_code=dataset.VILLAGE_B,
            head_name="钱七",
            head_id_number=head,
            identified_year="2019",
            attribute="一般贫困户",
        )
    )
    template = next(m for m in data["members"] if m["household_id"] == "H001")
    data["members"] += [
        dict(template, household_id="H004", id_number=head, name="钱七", relation="户主",
             birth_date="1988-02-02", sex="男"),
        dict(template, household_id="H004", id_number=child, name="钱小", relation="之子",
             birth_date="2012-05-05", sex="男"),
    ]  # fmt: skip
    return data


@pytest.fixture
def history(db, tmp_path, monkeypatch):
    monkeypatch.setenv("FUPIN_HOME", str(tmp_path / "home"))
    first = import_dataset(dataset.write(tmp_path / "2018", rows()), effective=dt.date(2018, 6, 1))
    assert first.committed, [str(p) for p in first.problems]
    second = import_dataset(
        dataset.write(tmp_path / "2019", rows_2019()), effective=dt.date(2019, 3, 1)
    )
    assert second.committed, [str(p) for p in second.problems]


def county() -> Region:
    return Region.objects.get(code=dataset.COUNTY)


def statuses(figures: dict) -> dict[str, tuple[int, int]]:
    return {s: (h, p) for s, h, p in figures["by_status"] if h or p}


class TestFiguresPerYear:
    def test_the_years_run_from_the_first_import_to_this_year(self, history):
        years = yearly.history_years()
        assert years[0] == 2018 and years[-1] == timezone.localdate().year
        assert yearly.history_start() == dt.date(2018, 6, 1)

    def test_the_end_of_2018_is_the_first_import(self, history):
        f = yearly.year_figures(county(), 2018)
        assert f["as_of"] == dt.date(2018, 12, 31) and not f["current"]
        assert (f["households"], f["people"]) == (3, 6)
        assert statuses(f) == {"未脱贫": (2, 4), "已脱贫": (1, 2)}
        assert (f["exited"], f["identified"]) == (0, 0)  # H002 exited in 2017
        assert (f["poor_people"], f["population"]) == (4, 2100)
        assert f["incidence"] == stats.incidence(4, 2100) == 0.19

    def test_the_end_of_2019_has_the_exit_the_return_and_the_new_household(self, history):
        f = yearly.year_figures(county(), 2019)
        assert (f["households"], f["people"]) == (4, 8)
        assert statuses(f) == {"未脱贫": (2, 3), "已脱贫": (1, 3), "返贫": (1, 2)}
        assert (f["exited"], f["identified"]) == (1, 1)
        assert f["poor_households"] == 3 and f["poor_people"] == 5
        assert f["incidence"] == stats.incidence(5, 2100) == 0.24

    def test_this_year_is_the_registry_as_it_stands(self, history):
        year = timezone.localdate().year
        f = yearly.year_figures(county(), year)
        assert f["current"] and f["as_of"] == timezone.localdate()
        now = stats.region_figures(county())
        assert f["households"] == now["households"] and f["people"] == now["people"]
        assert f["by_status"] == now["by_status"]
        assert f["incidence"] == now["incidence"]
        assert (f["exited"], f["identified"]) == (0, 0)

    def test_a_year_end_is_read_as_a_freeze_of_that_day_reads_it(self, history, tmp_path):
        folder = freeze(dt.date(2018, 12, 31), root=tmp_path / "snapshots")
        frozen = pq.read_table(folder / "households.parquet").to_pylist()
        f = yearly.year_figures(county(), 2018)
        in_county = [h for h in frozen if h["region_code"].startswith("530523")]
        assert len(in_county) == f["households"]
        for status, (n, _) in statuses(f).items():
            assert sum(h["status"] == status for h in in_county) == n

    def test_child_regions_compare_incidence_in_percentage_points(self, history):
        town = Region.objects.get(code=TOWN)
        this, last = yearly.year_figures(town, 2019), yearly.year_figures(town, 2018)
        rows = {c["region"].name: c for c in yearly.children_comparison(town, this, last)}
        a, b = rows["新寨村"], rows["大坪村"]
        assert (a["last"]["incidence"], a["this"]["incidence"]) == (0.25, 0.16)  # 3/1200, 2/1250
        assert a["change"] == -0.09 and a["poor_change"] == -1
        assert (b["last"]["incidence"], b["this"]["incidence"]) == (0.11, 0.33)  # 1/900, 3/900
        assert b["change"] == 0.22 and b["this"]["identified"] == 1
        assert a["this"]["exited"] == 1 and a["this"]["population"] == 1250

    def test_a_change_needs_both_years(self):
        assert yearly.change_in_points(0.16, 0.25) == -0.09
        assert yearly.change_in_points(0.16, None) is None
        assert stats.incidence(3, 0) is None and stats.incidence(3, None) is None


class TestYearPage:
    def test_the_page_shows_each_year_and_the_child_regions_year_over_year(self, client, history):
        leader = create_user("county_leader", PASSWORD, "领导", dataset.COUNTY)
        page = client_for(client, leader).get(f"/regions/{TOWN}/years/?year=2019")
        assert page.status_code == 200
        text = page.content.decode()
        assert "登记系统的变更历史" in text and "2018-06-01" in text
        assert 'id="chart-years-status"' in text and "web/echarts.min.js" in text
        row_2019 = text.split('<tr data-year="2019">')[1].split("</tr>")[0]
        assert "0.24%" in row_2019 and "+0.05 个百分点" in row_2019  # 4/2100 → 5/2100
        village_a = text.split(f'<tr data-code="{dataset.VILLAGE_A}">')[1].split("</tr>")[0]
        assert "0.25%" in village_a and "0.16%" in village_a and "-0.09 个百分点" in village_a
        assert f'href="/regions/{dataset.VILLAGE_A}/years/?year=2019"' in village_a

    def test_this_years_numbers_link_to_the_households_behind_them(self, client, history):
        leader = create_user("county_leader", PASSWORD, "领导", dataset.COUNTY)
        c = client_for(client, leader)
        year = timezone.localdate().year
        text = c.get(f"/regions/{dataset.COUNTY}/years/").content.decode()
        current = text.split(f'<tr data-year="{year}">')[1].split("</tr>")[0]
        link = f"/households/?region={dataset.COUNTY}&amp;status=%E8%BF%94%E8%B4%AB"
        assert link in current
        past = text.split('<tr data-year="2019">')[1].split("</tr>")[0]
        assert "/households/" not in past  # past lists are not the current registry's
        listed = c.get(f"/households/?region={dataset.VILLAGE_B}&identified_year=2019")
        assert "H004" in listed.content.decode() and "H003" not in listed.content.decode()

    def test_an_outsider_is_refused(self, client, history):
        outsider = create_user("outsider", PASSWORD, "领导", OTHER_COUNTY)
        c = client_for(client, outsider)
        assert c.get(f"/regions/{dataset.COUNTY}/years/").status_code == 404
        assert c.get(f"/regions/{TOWN}/years/?year=2019").status_code == 404
        assert c.get(f"/regions/{OTHER_COUNTY}/years/").status_code == 200

    def test_an_anonymous_visitor_is_sent_to_log_in(self, client, history):
        answer = client.get(f"/regions/{TOWN}/years/")
        assert answer.status_code == 302 and answer["Location"].startswith("/login/")

    def test_a_villages_page_has_its_years_and_no_child_regions(self, client, history):
        leader = create_user("county_leader", PASSWORD, "领导", dataset.COUNTY)
        text = client_for(client, leader).get(f"/regions/{dataset.VILLAGE_B}/years/").content
        page = text.decode()
        row_2019 = page.split('<tr data-year="2019">')[1].split("</tr>")[0]
        assert "0.33%" in row_2019 and "+0.22 个百分点" in row_2019  # 1/900 → 3/900
        assert 'id="children-table"' not in page

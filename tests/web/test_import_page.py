"""Import on the site: check first (nothing written, problems in a table), then import."""

from __future__ import annotations

import csv

from fupin.registry.models import Household, ImportRun
from fupin.web.accounts import create_user
from tests.registry import dataset
from tests.web.conftest import PASSWORD, client_for, rows


def upload(client, folder, names=("regions.csv", "households.csv", "members.csv")):
    files = [open(folder / name, "rb") for name in names]
    try:
        return client.post("/import/", {"step": "check", "files": files})
    finally:
        for f in files:
            f.close()


def county_a_rows():
    """The data set of 龙陵县 alone (what its administrator may import)."""
    data = rows()
    data["regions"] = [r for r in data["regions"] if not r["code"].startswith("530524")]
    data["households"] = [h for h in data["households"] if h["region_code"].startswith("530523")]
    data["members"] = [m for m in data["members"] if m["household_id"] != "H900"]
    return data


def county_admin():
    return create_user("county_admin", PASSWORD, "系统管理员", dataset.COUNTY)


def test_a_bad_value_is_listed_with_file_row_and_column_and_nothing_is_written(
    client, registry, tmp_path
):
    data = county_a_rows()
    data["households"][0]["wage_income"] = "很多"
    folder = dataset.write(tmp_path / "bad", data)
    page = upload(client_for(client, county_admin()), folder)
    text = page.content.decode()
    assert 'id="problems"' in text
    assert (
        '<td>households.csv</td><td class="num">2</td><td>wage_income</td><td>很多</td><td>应为数字</td>'
        in text
    )
    assert "未写入任何数据" in text
    assert Household.objects.get(household_id="H001").wage_income == 6000


def test_a_clean_upload_is_checked_without_writing_then_imported(client, registry, tmp_path):
    data = county_a_rows()
    data["households"][0]["wage_income"] = "7000"
    folder = dataset.write(tmp_path / "good", data)
    c = client_for(client, county_admin())
    runs_before = ImportRun.objects.count()
    page = upload(c, folder)
    text = page.content.decode()
    assert "检查通过" in text
    assert Household.objects.get(household_id="H001").wage_income == 6000  # not yet
    token = text.split('name="token" value="')[1].split('"')[0]
    done = c.post("/import/", {"step": "import", "token": token}).content.decode()
    assert 'id="import-done"' in done
    assert Household.objects.get(household_id="H001").wage_income == 7000
    assert ImportRun.objects.count() == runs_before + 1  # the check left no run behind
    with (folder / "households.csv").open(encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == 3

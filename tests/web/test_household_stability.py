"""The household file shows the exit stability of an exited household (issue 9, item 3)."""

import pytest

from fupin.registry.importing import import_dataset
from fupin.web.accounts import create_user
from tests.registry import dataset

pytestmark = pytest.mark.django_db


class TestStabilityOnTheHouseholdFile:
    def test_an_exited_household_shows_its_score_and_drivers(self, client, tmp_path):
        import_dataset(dataset.write(tmp_path / "ds"))
        create_user("clerk_s", "Aa1!aaaaaaaa", "数据录入员", dataset.VILLAGE_A)
        client.login(username="clerk_s", password="Aa1!aaaaaaaa")
        exited = client.get("/households/H002/")
        assert exited.status_code == 200
        page = exited.content.decode()
        assert "脱贫稳定性" in page and "稳定性得分" in page and "data-score=" in page
        not_exited = client.get("/households/H001/").content.decode()
        assert "该户不是已脱贫户，不计算脱贫稳定性" in not_exited

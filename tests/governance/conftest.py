import pytest
from django.db import transaction

from fupin.governance.seeds import load_seeds


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The seed lists loaded once per test module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_seeds()
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def fupin_home(tmp_path, monkeypatch):
    """Uploaded files go under a temporary FUPIN_HOME/media."""
    monkeypatch.setenv("FUPIN_HOME", str(tmp_path / "home"))
    return tmp_path / "home"

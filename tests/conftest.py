import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _commands_in_subprocesses_use_their_own_database():
    """The CLI tests run `fupin` in subprocesses, each on a fresh FUPIN_HOME.

    Django's settings were read at start-up (the suite's own database, SQLite or the
    PostgreSQL of FUPIN_DATABASE_URL); from here on a subprocess gets the default database of
    its own FUPIN_HOME, so it never writes into the shared PostgreSQL database `test` that
    the suite's test database is created beside.
    """
    os.environ.pop("FUPIN_DATABASE_URL", None)

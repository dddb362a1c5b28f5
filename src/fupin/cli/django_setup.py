"""Start Django for a command, creating and migrating the database when it is new."""

from __future__ import annotations

import os

_ready = False


def setup_django(*, migrate: bool = True) -> None:
    global _ready
    if _ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.project.settings")
    from fupin import config

    config.fupin_home().mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    if migrate:
        migrate_if_needed()
    _ready = True


def migrate_if_needed() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", interactive=False, verbosity=0)

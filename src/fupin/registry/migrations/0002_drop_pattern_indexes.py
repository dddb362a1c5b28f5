"""Drop the `varchar_pattern_ops` indexes Django adds beside every indexed text column on
PostgreSQL.

They serve only `LIKE 'prefix%'` queries, and the registry asks none: regions are found by code
ranges (see registry/regions.py), households and members by exact keys. Each one cost a full
index update on every imported row and a second index build after a bulk load.
"""

from django.db import migrations


def drop_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname LIKE 'registry\\_%%' AND NOT x.indisunique "
            "AND pg_get_indexdef(i.oid) LIKE '%%varchar_pattern_ops%%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(drop_pattern_indexes, migrations.RunPython.noop)]

"""On SQLite, history versions closed before this migration kept `valid_to` as local time with
its offset ('2026-11-24 00:05:00+08:00'), where every other datetime is Django's UTC text
('2026-11-23 16:05:00'): the writer passed the aware datetime to the driver as it was. Rewrite
those values in Django's form, so that the history's text comparisons hold (see
`fupin.registry.writing.db_datetime`). PostgreSQL stores timestamps with their zone: nothing to do.
"""

import datetime as dt

from django.db import migrations

BATCH = 10_000


def valid_to_as_utc_text(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, CAST(valid_to AS TEXT) FROM registry_recordversion "
            "WHERE valid_to IS NOT NULL AND substr(valid_to, -6, 1) IN ('+', '-')"
        )
        rows = cursor.fetchall()
        fixed = [
            (connection.ops.adapt_datetimefield_value(dt.datetime.fromisoformat(text)), pk)
            for pk, text in rows
        ]
        for start in range(0, len(fixed), BATCH):
            cursor.executemany(
                "UPDATE registry_recordversion SET valid_to = %s WHERE id = %s",
                fixed[start : start + BATCH],
            )


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_drop_pattern_indexes")]

    operations = [migrations.RunPython(valid_to_as_utc_text, migrations.RunPython.noop)]

"""History: the registry read as of any past date, and snapshots that differ by a change."""

import datetime as dt
import json

import pyarrow.parquet as pq
import pytest
from django.utils import timezone

from fupin.registry.actions import InvalidChange, do_update_member
from fupin.registry.freezing import freeze, list_snapshots, verify
from fupin.registry.importing import import_dataset
from fupin.registry.models import Member, RecordVersion
from tests.registry import dataset

pytestmark = pytest.mark.django_db


def members_of(folder):
    table = pq.read_table(folder / "members.parquet").to_pylist()
    return {row["id_number"]: row for row in table}


class TestHistory:
    def test_two_snapshots_differ_exactly_by_a_change_made_today(self, tmp_path, django_user_model):
        today = timezone.localdate()
        import_dataset(dataset.write(tmp_path / "ds"), effective=today - dt.timedelta(days=2))
        clerk = django_user_model.objects.create_user("clerk")
        child = Member.objects.get(name="张小")
        assert do_update_member(child.id_number, {"school_status": "非在校生"}, acting_user=clerk)

        before = members_of(freeze(today - dt.timedelta(days=1), root=tmp_path / "snaps"))
        after = members_of(freeze(today, root=tmp_path / "snaps"))
        assert before.keys() == after.keys()
        differing = {k for k in before if before[k] != after[k]}
        assert differing == {child.id_number}
        changed_fields = {
            f
            for f in before[child.id_number]
            if before[child.id_number][f] != after[child.id_number][f]
        }
        assert changed_fields == {"school_status"}
        assert (
            before[child.id_number]["school_status"],
            after[child.id_number]["school_status"],
        ) == ("初中", "非在校生")

    def test_a_change_just_after_local_midnight_belongs_to_the_new_day(
        self, tmp_path, django_user_model, monkeypatch
    ):
        # 00:30 in Asia/Shanghai is 16:30 UTC the day before: the snapshot of the day before
        # must not see it, whatever the database and the hour the test runs at
        day = dt.date(2024, 3, 10)
        import_dataset(dataset.write(tmp_path / "ds"), effective=day - dt.timedelta(days=2))
        clerk = django_user_model.objects.create_user("clerk")
        child = Member.objects.get(name="张小")
        just_after = timezone.make_aware(dt.datetime.combine(day, dt.time(0, 30)))
        monkeypatch.setattr(timezone, "now", lambda: just_after)
        assert do_update_member(child.id_number, {"school_status": "非在校生"}, acting_user=clerk)

        before_folder = freeze(day - dt.timedelta(days=1), root=tmp_path / "snaps")
        after_folder = freeze(day, root=tmp_path / "snaps")
        for folder in (before_folder, after_folder):
            assert pq.read_table(folder / "members.parquet").num_rows == Member.objects.count()
        assert members_of(before_folder)[child.id_number]["school_status"] == "初中"
        assert members_of(after_folder)[child.id_number]["school_status"] == "非在校生"

    def test_a_change_records_who_when_and_the_old_and_new_values(
        self, tmp_path, django_user_model
    ):
        import_dataset(dataset.write(tmp_path / "ds"))
        clerk = django_user_model.objects.create_user("clerk")
        child = Member.objects.get(name="张小")
        do_update_member(child.id_number, {"health": "残疾"}, acting_user=clerk)
        version = RecordVersion.objects.get(table="members", key=child.id_number, valid_to=None)
        assert version.changed_by == clerk
        assert json.loads(version.changes) == {"health": ["健康", "残疾"]}
        assert version.source == "网页编辑"

    def test_an_edit_is_validated_like_an_import(self, tmp_path, django_user_model):
        import_dataset(dataset.write(tmp_path / "ds"))
        clerk = django_user_model.objects.create_user("clerk")
        child = Member.objects.get(name="张小")
        with pytest.raises(InvalidChange) as caught:
            do_update_member(
                child.id_number,
                {"birth_date": "2010-09-02", "school_status": "初二"},
                acting_user=clerk,
            )
        assert caught.value.errors == {
            "school_status": "不是允许的取值，应为：非在校生、学前教育、小学、初中、高中、中职、高职、大专、本科及以上"
        }
        with pytest.raises(InvalidChange) as caught:
            do_update_member(child.id_number, {"birth_date": "2010-09-02"}, acting_user=clerk)
        assert caught.value.errors == {
            "birth_date": "出生日期与身份证号不一致（身份证号中为2010-09-01）"
        }
        assert RecordVersion.objects.filter(table="members", key=child.id_number).count() == 1

    def test_a_snapshot_before_the_first_import_is_empty(self, tmp_path):
        today = timezone.localdate()
        import_dataset(dataset.write(tmp_path / "ds"))
        folder = freeze(today - dt.timedelta(days=1), root=tmp_path / "snaps")
        assert members_of(folder) == {}


class TestSnapshots:
    def test_a_snapshot_has_a_manifest_with_counts_and_checksums(self, tmp_path):
        import_dataset(dataset.write(tmp_path / "ds"))
        folder = freeze(timezone.localdate(), root=tmp_path / "snaps")
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        assert manifest["as_of"] == timezone.localdate().isoformat()
        assert {t: v["rows"] for t, v in manifest["tables"].items()} == {
            "regions": 6,
            "households": 3,
            "members": 6,
            "measures": 3,
            "villages": 1,
        }
        assert verify(folder) == []
        assert [m["id"] for m in list_snapshots(tmp_path / "snaps")] == [folder.name]

    def test_snapshot_columns_are_typed(self, tmp_path):
        import_dataset(dataset.write(tmp_path / "ds"))
        folder = freeze(timezone.localdate(), root=tmp_path / "snaps")
        households = {
            r["household_id"]: r for r in pq.read_table(folder / "households.parquet").to_pylist()
        }
        assert households["H001"]["food_secure"] is True
        assert households["H001"]["policy_ended"] is None  # empty is unknown, not 否
        assert float(households["H002"]["transfer_income"]) == 1200.5
        assert households["H002"]["exit_year"] == 2017

    def test_a_snapshot_cannot_be_overwritten_and_tampering_is_detected(self, tmp_path):
        from fupin.registry.freezing import SnapshotError

        import_dataset(dataset.write(tmp_path / "ds"))
        folder = freeze(timezone.localdate(), name="s1", root=tmp_path / "snaps")
        with pytest.raises(SnapshotError):
            freeze(timezone.localdate(), name="s1", root=tmp_path / "snaps")
        target = folder / "members.parquet"
        target.chmod(0o644)
        target.write_bytes(target.read_bytes() + b"x")
        assert verify(folder) == ["members：校验和不一致，快照已被改动"]


def test_the_migration_rewrites_local_valid_to_text_as_django_stores_datetimes(tmp_path):
    import importlib
    from types import SimpleNamespace

    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL stores timestamps with their zone")
    migration = importlib.import_module("fupin.registry.migrations.0003_valid_to_as_utc_text")
    import_dataset(dataset.write(tmp_path / "ds"))
    version = RecordVersion.objects.filter(table="members").first()
    with connection.cursor() as cursor:  # as the writer left it before the migration
        cursor.execute(
            "UPDATE registry_recordversion SET valid_to = %s WHERE id = %s",
            ["2026-11-24 00:05:00.123456+08:00", version.pk],
        )
    migration.valid_to_as_utc_text(None, SimpleNamespace(connection=connection))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CAST(valid_to AS TEXT) FROM registry_recordversion WHERE id = %s", [version.pk]
        )
        assert cursor.fetchone() == ("2026-11-23 16:05:00.123456",)
    version.refresh_from_db()
    assert timezone.localtime(version.valid_to).isoformat() == "2026-11-24T00:05:00.123456+08:00"

"""A large first load on PostgreSQL drops secondary indexes and foreign keys and puts them back."""

import pytest
from django.db import connection

from fupin.registry import writing
from fupin.registry.importing import import_dataset
from fupin.registry.models import Household, Member, RecordVersion
from tests.registry import dataset

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL only"),
]


def schema():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname LIKE 'registry_%%'"
        )
        indexes = sorted(cursor.fetchall())
        cursor.execute(
            "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname LIKE 'registry_%%'"
        )
        constraints = sorted(cursor.fetchall())
    return indexes, constraints


@pytest.fixture
def small_bulk(monkeypatch):
    # the tiny test data set counts as large: every import takes the bulk path
    monkeypatch.setattr(writing, "BULK_LOAD_MIN_ROWS", 1)


def test_a_bulk_load_leaves_the_schema_as_it_found_it(tmp_path, small_bulk):
    before = schema()
    result = import_dataset(dataset.write(tmp_path / "ds"))
    assert result.committed
    assert schema() == before
    assert Member.objects.count() == len(dataset.rows()["members"])
    assert RecordVersion.objects.filter(table="members").count() == Member.objects.count()


def test_the_restored_foreign_keys_still_guard_the_rows(tmp_path, small_bulk):
    import_dataset(dataset.write(tmp_path / "ds"))
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("UPDATE registry_member SET household_id = 'NO-SUCH-HOUSEHOLD'")


def test_a_refused_bulk_load_writes_nothing_and_keeps_the_schema(tmp_path, small_bulk):
    before = schema()
    data = dataset.rows()
    data["members"][0]["sex"] = "未知"
    result = import_dataset(dataset.write(tmp_path / "ds", data))
    assert not result.committed
    assert schema() == before
    assert Household.objects.count() == 0 and RecordVersion.objects.count() == 0


def test_a_bulk_load_with_kept_valid_rows_drops_the_rejected_households(tmp_path, small_bulk):
    before = schema()
    data = dataset.rows()
    head = next(
        m for m in data["members"] if m["household_id"] == "H003" and m["relation"] == "户主"
    )
    data["members"].remove(head)  # H003 has no 户主 any more: rejected after its members
    result = import_dataset(dataset.write(tmp_path / "ds", data), keep_valid=True)
    assert result.committed
    assert schema() == before
    assert not Household.objects.filter(household_id="H003").exists()
    assert not Member.objects.filter(household_id="H003").exists()
    assert Household.objects.count() == len(data["households"]) - 1


def test_a_failure_while_writing_in_the_background_rolls_everything_back(tmp_path, monkeypatch):
    def broken(self, raw_connection, table, rows):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(writing.RegistryWriter, "copy_columns", broken)
    with pytest.raises(RuntimeError, match="磁盘已满"):
        import_dataset(dataset.write(tmp_path / "ds"))
    assert Household.objects.count() == 0 and RecordVersion.objects.count() == 0


def test_the_first_failure_in_the_background_is_the_one_reported(tmp_path, monkeypatch):
    from fupin.engine import column_batches

    monkeypatch.setattr(column_batches, "BATCH_ROWS", 2)  # many batches, many writes
    calls = []

    def failing(self, raw_connection, table, rows):
        calls.append(table.name)
        raise RuntimeError("第一次失败") if len(calls) == 1 else ValueError("后来的失败")

    monkeypatch.setattr(writing.RegistryWriter, "copy_columns", failing)
    with pytest.raises(RuntimeError, match="第一次失败"):
        import_dataset(dataset.write(tmp_path / "ds"))
    assert len(calls) == 1  # nothing more is written after a failure
    assert Household.objects.count() == 0 and RecordVersion.objects.count() == 0

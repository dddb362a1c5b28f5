"""How import reads files: Arrow's fast reader and the row reader give the same rows and numbers.

A regular CSV file goes through Arrow's reader; a file with a row of too few or too many cells
goes through the row reader. Blank lines and rows of empty cells are skipped by both, and the
row numbers in problems stay those a spreadsheet shows.
"""

import pytest

from fupin.engine.column_batches import raw_batches
from fupin.engine.standard_format import MEMBERS
from fupin.engine.tables import DatasetError, open_table
from fupin.registry.importing import import_dataset
from fupin.registry.models import Household, Member
from tests.registry import dataset

pytestmark = pytest.mark.django_db


def lines(folder, table="members"):
    return (folder / f"{table}.csv").read_text("utf-8").splitlines()


def rewrite(folder, new_lines, table="members"):
    (folder / f"{table}.csv").write_text("\n".join(new_lines) + "\n", "utf-8")


def batch_rows(folder):
    reader = open_table(folder, MEMBERS)
    return [
        (number, batch.raw_row(i))
        for batch in raw_batches(reader)
        for i, number in enumerate(batch.row_numbers)
    ]


class TestReading:
    def test_blank_lines_and_empty_rows_are_skipped_but_counted(self, tmp_path):
        folder = dataset.write(tmp_path / "ds")
        text = lines(folder)
        width = len(text[0].split(","))
        rewrite(folder, [text[0], text[1], "", "," * (width - 1), *text[2:]])
        rows = batch_rows(folder)
        assert [n for n, _ in rows] == [2, *range(5, 5 + len(text) - 2)]
        assert import_dataset(folder).ok
        assert Member.objects.count() == len(text) - 1

    def test_a_problem_after_a_blank_line_names_the_spreadsheet_row(self, tmp_path):
        data = dataset.rows()
        data["members"][2]["sex"] = "未知"
        folder = dataset.write(tmp_path / "ds", data)
        text = lines(folder)
        rewrite(folder, [text[0], "", *text[1:]])
        result = import_dataset(folder)
        assert not result.committed
        assert str(result.problems[0]).startswith("members.csv 第5行 “sex”列，值“未知”")

    def test_a_ragged_row_is_read_by_the_row_reader_with_the_same_numbers(self, tmp_path):
        folder = dataset.write(tmp_path / "ds")
        text = lines(folder)
        fast = batch_rows(folder)
        # a row with stray empty cells at its end: Arrow's reader refuses such a grid
        rewrite(folder, [text[0], "", *text[1:3], text[3] + ",,", *text[4:]])
        slow = batch_rows(folder)
        assert [n for n, _ in slow] == [n + 1 if n > 1 else n for n, _ in fast]
        assert [cells for _, cells in slow] == [cells for _, cells in fast]
        assert import_dataset(folder).ok

    def test_the_two_readers_canonicalise_alike(self, tmp_path):
        """The same data set, once regular and once with a ragged row, gives the same registry."""
        regular = dataset.write(tmp_path / "a")
        import_dataset(regular)
        before = sorted(Member.objects.values_list("id_number", "name", "health", "birth_date"))
        Member.objects.all().delete()
        Household.objects.all().delete()
        irregular = dataset.write(tmp_path / "b")
        text = lines(irregular)
        rewrite(irregular, [*text[:-1], text[-1] + ","])
        assert import_dataset(irregular).ok
        after = sorted(Member.objects.values_list("id_number", "name", "health", "birth_date"))
        assert after == before

    def test_a_file_that_is_not_utf8_is_refused_by_name(self, tmp_path):
        folder = dataset.write(tmp_path / "ds")
        (folder / "members.csv").write_bytes(
            (folder / "members.csv").read_text("utf-8").encode("gb18030")
        )
        with pytest.raises(DatasetError, match="members.csv：文件不是UTF-8编码"):
            import_dataset(folder)
        assert Household.objects.count() == 0


def test_only_a_regular_grid_takes_arrows_reader(tmp_path):
    from fupin.engine.column_batches import _arrow_csv

    folder = dataset.write(tmp_path / "ds")
    assert _arrow_csv(open_table(folder, MEMBERS)) is not None
    text = lines(folder)
    rewrite(folder, [*text[:-1], text[-1] + ","])
    assert _arrow_csv(open_table(folder, MEMBERS)) is None


class TestBatches:
    """A large file is checked batch by batch: the answers may not depend on where a batch ends."""

    @pytest.fixture
    def tiny_batches(self, monkeypatch):
        from fupin.engine import column_batches

        monkeypatch.setattr(column_batches, "BATCH_ROWS", 2)

    def problems(self, tmp_path, data, name):
        result = import_dataset(dataset.write(tmp_path / name, data))
        assert not result.committed
        return [str(p) for p in result.problems]

    @pytest.mark.parametrize(
        "break_it",
        [
            lambda d: d["members"].append(dict(d["members"][1], household_id="H003")),
            lambda d: d["members"][4].update(birth_date="1970-05-03"),
            lambda d: d["members"][5].update(household_id="H999"),
            lambda d: d["households"].append(dict(d["households"][0])),
            lambda d: d["households"][2].update(status="已脱贫", exit_year=""),
            lambda d: d["measures"][2].update(household_id="H999"),
        ],
        ids=["repeated id", "birth date", "unknown household", "repeated household",
             "exit year", "measure of unknown household"],
    )  # fmt: skip
    def test_problems_are_the_same_in_batches_of_two_rows(self, tmp_path, monkeypatch, break_it):
        data = dataset.rows()
        break_it(data)
        whole = self.problems(tmp_path, data, "whole")
        from fupin.engine import column_batches

        monkeypatch.setattr(column_batches, "BATCH_ROWS", 2)
        assert self.problems(tmp_path, data, "batched") == whole
        assert whole

    def test_a_clean_data_set_in_batches_of_two_rows(self, tmp_path, tiny_batches):
        result = import_dataset(dataset.write(tmp_path / "ds"))
        assert result.committed
        assert Member.objects.count() == len(dataset.rows()["members"])
        assert Household.objects.filter(helper__isnull=False).exists()


def test_a_check_alone_counts_what_the_import_would_do_and_writes_nothing(tmp_path):
    from fupin.registry.models import RecordVersion

    data = dataset.rows()
    data["measures"].pop()  # a measure the registry has but the file no longer lists
    import_dataset(dataset.write(tmp_path / "first"))
    data["households"][0]["wage_income"] = "12345"
    data["members"][0]["name"] = "张三丰"
    folder = dataset.write(tmp_path / "second", data)
    versions = RecordVersion.objects.count()
    checked = import_dataset(folder, check_only=True)
    assert not checked.committed and RecordVersion.objects.count() == versions
    imported = import_dataset(folder)
    assert imported.committed
    assert {t: dict(c) for t, c in checked.counts.items()} == {
        t: dict(c) for t, c in imported.counts.items()
    }
    assert imported.counts["measures"]["removed"] == 1
    assert imported.counts["households"]["updated"] == 1

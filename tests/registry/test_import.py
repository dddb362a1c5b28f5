"""Import of the standard format: counts, all-or-nothing, precise Chinese errors, round trip."""

import csv
import json

import pytest

from fupin.registry.exporting import export_dataset
from fupin.registry.importing import import_dataset
from fupin.registry.models import Helper, Household, Member, RecordVersion
from tests.registry import dataset

pytestmark = pytest.mark.django_db


def counts(result, outcome):
    return {t: c[outcome] for t, c in result.counts.items()}


class TestImport:
    def test_a_fresh_import_adds_every_row(self, tmp_path):
        result = import_dataset(dataset.write(tmp_path / "ds"))
        assert result.ok and result.committed
        assert counts(result, "added") == {
            "regions": 6,
            "households": 3,
            "members": 6,
            "measures": 3,
            "villages": 1,
        }
        assert Member.objects.get(name="王强").health == "残疾;患有大病"
        assert Household.objects.get(household_id="H002").transfer_income == pytest.approx(1200.5)

    def test_importing_the_same_data_again_changes_nothing(self, tmp_path):
        ds = dataset.write(tmp_path / "ds")
        import_dataset(ds)
        versions = RecordVersion.objects.count()
        result = import_dataset(ds)
        assert counts(result, "unchanged") == {
            "regions": 6,
            "households": 3,
            "members": 6,
            "measures": 3,
            "villages": 1,
        }
        assert sum(counts(result, "added").values()) == sum(counts(result, "updated").values()) == 0
        assert RecordVersion.objects.count() == versions

    def test_a_changed_file_updates_what_changed_and_keeps_the_old_values(self, tmp_path):
        import_dataset(dataset.write(tmp_path / "v1"))
        data = dataset.rows()
        data["members"][2]["school_status"] = "非在校生"
        data["measures"] = data["measures"][:2]  # H002's measure withdrawn
        result = import_dataset(dataset.write(tmp_path / "v2", data))
        assert result.counts["members"]["updated"] == 1
        assert result.counts["members"]["unchanged"] == 5
        assert result.counts["measures"]["removed"] == 1
        assert Member.objects.get(name="张小").school_status == "非在校生"
        version = RecordVersion.objects.get(
            table="members", key=data["members"][2]["id_number"], valid_to=None
        )
        assert json.loads(version.changes) == {"school_status": ["初中", "非在校生"]}
        assert RecordVersion.objects.filter(table="members", key=version.key).count() == 2

    def test_chinese_headers_are_accepted(self, tmp_path):
        result = import_dataset(dataset.write(tmp_path / "ds", chinese=True))
        assert result.ok
        assert Member.objects.count() == 6

    def test_helpers_are_linked_to_their_households(self, tmp_path):
        import_dataset(dataset.write(tmp_path / "ds"))
        helper = Helper.objects.get()
        assert (helper.name, helper.unit) == ("李明", "县扶贫办")
        assert helper.households.count() == 3


class TestRefusal:
    def refuse(self, tmp_path, data):
        result = import_dataset(dataset.write(tmp_path / "bad", data))
        assert not result.committed
        assert Household.objects.count() == 0 and Member.objects.count() == 0
        assert RecordVersion.objects.count() == 0
        return [str(p) for p in result.problems]

    def test_a_bad_id_is_refused_with_file_row_column_and_rule(self, tmp_path):
        data = dataset.rows()
        good = data["members"][1]["id_number"]
        data["members"][1]["id_number"] = good[:17] + ("0" if good[17] != "0" else "1")
        problems = self.refuse(tmp_path, data)
        assert problems == [
            f"members.csv 第3行 “id_number”列，值“{data['members'][1]['id_number']}”："
            f"身份证号校验码错误：第18位应为{good[17]}，实际为{data['members'][1]['id_number'][17]}"
        ]

    def test_an_unknown_enum_value_is_refused_with_the_allowed_ones(self, tmp_path):
        data = dataset.rows()
        data["households"][0]["attribute"] = "贫困户"
        problems = self.refuse(tmp_path, data)
        assert problems[0] == (
            "households.csv 第2行 “attribute”列，值“贫困户”：不是允许的取值，应为：一般贫困户、低保贫困户、特困供养贫困户"
        )
        # the household's members and measures cannot go in without it, and say why
        assert problems[1:] and all(p.endswith("所属户H001有错误，未能导入") for p in problems[1:])

    def test_a_known_synonym_is_mapped(self, tmp_path):
        data = dataset.rows()
        data["households"][0]["attribute"] = "五保贫困户"
        assert import_dataset(dataset.write(tmp_path / "ds", data)).ok
        assert Household.objects.get(household_id="H001").attribute == "特困供养贫困户"

    def test_a_household_without_its_head_is_refused(self, tmp_path):
        data = dataset.rows()
        data["members"] = [m for m in data["members"] if m["name"] != "赵六"]
        problems = self.refuse(tmp_path, data)
        assert problems == [
            f"households.csv 第4行 “head_id_number”列，值“{data['households'][2]['head_id_number']}”："
            "该户在家庭成员表中没有与户主关系为“户主”的成员"
        ]

    def test_a_birth_date_that_disagrees_with_the_id_is_refused(self, tmp_path):
        data = dataset.rows()
        data["members"][0]["birth_date"] = "1970-05-03"
        problems = self.refuse(tmp_path, data)
        assert problems[0] == (
            "members.csv 第2行 “birth_date”列，值“1970-05-03”：出生日期与身份证号不一致（身份证号中为1970-03-05）"
        )
        assert problems[1].endswith("户主所在的 members.csv 第2行有错误，该户未能导入")

    def test_an_id_that_appears_twice_is_refused(self, tmp_path):
        data = dataset.rows()
        data["members"].append(dict(data["members"][1], household_id="H003"))
        problems = self.refuse(tmp_path, data)
        assert problems[0].startswith("members.csv 第8行 “id_number”列")
        assert problems[0].endswith("身份证号在数据集中重复出现")

    def test_a_region_code_that_does_not_exist_is_refused(self, tmp_path):
        data = dataset.rows()
        data["households"][1]["region_code"] = "530523100009"
        problems = self.refuse(tmp_path, data)
        assert problems[0] == (
            "households.csv 第3行 “region_code”列，值“530523100009”：区划代码不存在（regions 表和系统中都没有）"
        )

    def test_a_member_of_an_unknown_household_is_refused(self, tmp_path):
        data = dataset.rows()
        data["members"][0]["household_id"] = "H999"
        problems = self.refuse(tmp_path, data)
        assert (
            "members.csv 第2行 “household_id”列，值“H999”：户编号不存在（households 表和系统中都没有）"
            in problems
        )

    def test_a_missing_required_column_names_the_column(self, tmp_path):
        from fupin.engine.tables import DatasetError

        folder = dataset.write(tmp_path / "ds")
        text = (folder / "members.csv").read_text("utf-8").splitlines()
        header = text[0].split(",")
        i = header.index("sex")
        (folder / "members.csv").write_text(
            "\n".join(
                ",".join(c for j, c in enumerate(line.split(",")) if j != i) for line in text
            ),
            "utf-8",
        )
        with pytest.raises(DatasetError, match=r"members.csv 第1行：缺少必需的列 性别\(sex\)"):
            import_dataset(folder)
        assert Household.objects.count() == 0


class TestKeepValid:
    def test_valid_rows_go_in_and_rejects_can_be_fixed_and_imported_again(self, tmp_path):
        data = dataset.rows()
        data["members"][2]["school_status"] = "初二"
        rejects = tmp_path / "rejects"
        result = import_dataset(
            dataset.write(tmp_path / "ds", data), keep_valid=True, rejects_dir=rejects
        )
        assert result.committed
        assert result.counts["members"]["added"] == 5 and result.counts["members"]["rejected"] == 1
        assert not Member.objects.filter(name="张小").exists()
        with (rejects / "members.csv").open(encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        assert [r["name"] for r in rows] == ["张小"]
        with (rejects / "problems.csv").open(encoding="utf-8-sig") as f:
            assert next(csv.DictReader(f))["问题"].startswith("不是允许的取值")
        # the clerk fixes the value in the rejects file and imports it again
        fixed = (rejects / "members.csv").read_text("utf-8-sig").replace("初二", "初中")
        (rejects / "members.csv").write_text(fixed, "utf-8")
        (rejects / "problems.csv").unlink()
        again = import_dataset(rejects)
        assert again.ok and again.counts["members"]["added"] == 1
        assert Member.objects.get(name="张小").school_status == "初中"


class TestExport:
    def test_import_then_export_round_trips_exactly(self, tmp_path):
        source = dataset.write(tmp_path / "in")
        import_dataset(source)
        export_dataset(tmp_path / "out")
        assert dataset.read(tmp_path / "out") == dataset.read(source)

    def test_an_xlsx_export_imports_back_to_the_same_registry(self, tmp_path):
        source = dataset.write(tmp_path / "in")
        import_dataset(source)
        export_dataset(tmp_path / "book.xlsx", chinese_headers=True)
        result = import_dataset(tmp_path / "book.xlsx")
        assert result.ok
        assert sum(counts(result, "unchanged").values()) == 19

    def test_a_region_export_holds_only_that_subtree_and_its_ancestors(self, tmp_path):
        import_dataset(dataset.write(tmp_path / "in"))
        counts_out = export_dataset(tmp_path / "out", region=dataset.VILLAGE_B)
        assert counts_out["households"] == 1 and counts_out["members"] == 1
        assert counts_out["regions"] == 5  # province, city, county, township, the village

"""Opening data sets as typed DuckDB tables (CSV folder, XLSX workbook, snapshot)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fupin.engine.dataset import DatasetError, arrow_schema, open_dataset, resolve_snapshot
from fupin.engine.standard_format import HOUSEHOLDS, MEMBERS, REGISTRY_TABLES

HOUSEHOLDS_CSV_CHINESE = (
    "户编号,区划代码,户主姓名,户主身份证号,贫困户属性,主要致贫原因,其他致贫原因,贫困状态,"
    "工资性收入,不愁吃,不愁穿,住房安全等级,家庭医生签约,识别年度\n"
    "H1,530102001001,张三,53010219800101001X,五保户,因病,因学；缺资金,已脱贫(不再享受政策),"
    '"1,200.50",是,0,b,Y,2016\n'
    "H2,530102001001,李四,530102198001010029,一般贫困户,因学,,未脱贫,,,否,C,,\n"
    ",,,,,,,,,,,,,\n"
)

MEMBERS_CSV = (
    "household_id,id_number,name,sex,birth_date,relation,health,medical_insured\n"
    "H1,53010219800101001x,张三,男,1980/01/01,本人,残疾、患有大病,true\n"
    "H2,530102198001010029,李四,女,1980-01-01,户主,,N\n"
)


def write(folder: Path, name: str, text: str, *, bom: bool = False) -> None:
    (folder / name).write_text(("\ufeff" if bom else "") + text, encoding="utf-8")


@pytest.fixture
def csv_folder(tmp_path: Path) -> Path:
    write(tmp_path, "households.csv", HOUSEHOLDS_CSV_CHINESE, bom=True)
    write(tmp_path, "members.csv", MEMBERS_CSV)
    return tmp_path


class TestOpenDataset:
    def test_a_csv_folder_with_chinese_headers_becomes_typed_tables(self, csv_folder: Path) -> None:
        con = open_dataset(csv_folder)
        rows = con.execute(
            "SELECT household_id, attribute, other_causes, status, policy_ended, wage_income, "
            "business_income, food_secure, clothing_secure, housing_grade, family_doctor, "
            "identified_year FROM households ORDER BY household_id"
        ).fetchall()
        assert rows == [
            ("H1", "特困供养贫困户", "因学;缺资金", "已脱贫", True, Decimal("1200.50"), Decimal(0),
             True, False, "B", True, 2016),
            ("H2", "一般贫困户", None, "未脱贫", None, Decimal(0), Decimal(0),
             None, False, "C", None, None),
        ]  # fmt: skip

    def test_members_get_dates_normalised_ids_and_mapped_relations(self, csv_folder: Path) -> None:
        con = open_dataset(csv_folder)
        rows = con.execute(
            "SELECT id_number, birth_date, relation, health, medical_insured FROM members "
            "ORDER BY household_id"
        ).fetchall()
        assert rows == [
            ("53010219800101001X", dt.date(1980, 1, 1), "户主", "残疾;患有大病", True),
            ("530102198001010029", dt.date(1980, 1, 1), "户主", None, False),
        ]

    def test_every_registry_table_exists_with_its_standard_columns(self, csv_folder: Path) -> None:
        con = open_dataset(csv_folder)
        for table in REGISTRY_TABLES:
            columns = [r[0] for r in con.execute(f"DESCRIBE {table.name}").fetchall()]
            assert columns == list(table.field_names)
        assert con.execute("SELECT count(*) FROM villages").fetchone() == (0,)

    def test_the_column_types_follow_the_field_types(self, csv_folder: Path) -> None:
        con = open_dataset(csv_folder)
        types = dict(
            (r[0], r[1]) for r in con.execute("DESCRIBE households").fetchall()
        )  # fmt: skip
        assert types["wage_income"] == "DECIMAL(18,2)"
        assert types["food_secure"] == "BOOLEAN"
        assert types["water_distance_km"] == "DOUBLE"
        assert types["identified_year"] == "BIGINT"

    def test_an_unknown_enum_value_becomes_unknown(self, tmp_path: Path) -> None:
        write(tmp_path, "households.csv", "household_id,housing_grade,water_safe\nH1,E,也许\n")
        con = open_dataset(tmp_path)
        assert con.execute("SELECT housing_grade, water_safe FROM households").fetchone() == (
            None,
            None,
        )

    def test_a_file_with_only_a_header_gives_an_empty_table(self, tmp_path: Path) -> None:
        write(tmp_path, "members.csv", "household_id,id_number,name\n")
        con = open_dataset(tmp_path)
        assert con.execute("SELECT count(*) FROM members").fetchone() == (0,)

    def test_a_file_not_in_utf8_is_refused_in_chinese(self, tmp_path: Path) -> None:
        (tmp_path / "households.csv").write_bytes("户编号\nH1\n".encode("gbk"))
        with pytest.raises(DatasetError, match="UTF-8"):
            open_dataset(tmp_path)

    def test_a_missing_source_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(DatasetError, match="数据不存在"):
            open_dataset(tmp_path / "nowhere")

    def test_an_xlsx_workbook_is_read_sheet_by_sheet(self, tmp_path: Path) -> None:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "households"
        sheet.append(["户编号", "区划代码", "工资性收入", "不愁吃", "识别年度"])
        sheet.append(["H1", "530102001001", 3000.5, "是", 2017])
        members = book.create_sheet("members")
        members.append(["household_id", "birth_date", "medical_insured"])
        members.append(["H1", dt.datetime(2010, 5, 6), "否"])
        book.save(tmp_path / "data.xlsx")
        con = open_dataset(tmp_path / "data.xlsx")
        assert con.execute(
            "SELECT household_id, wage_income, food_secure, identified_year FROM households"
        ).fetchall() == [("H1", Decimal("3000.50"), True, 2017)]
        assert con.execute("SELECT birth_date, medical_insured FROM members").fetchall() == [
            (dt.date(2010, 5, 6), False)
        ]


class TestSnapshots:
    def make_snapshot(self, folder: Path) -> Path:
        folder.mkdir(parents=True)
        schema = arrow_schema(HOUSEHOLDS)
        row = {f.name: None for f in HOUSEHOLDS.fields}
        row.update(household_id="H9", wage_income=Decimal("2950.00"), food_secure=True)
        pq.write_table(pa.Table.from_pylist([row], schema=schema), folder / "households.parquet")
        pq.write_table(arrow_schema(MEMBERS).empty_table(), folder / "members.parquet")
        (folder / "manifest.json").write_text(json.dumps({"as_of": "2017-12-31"}))
        return folder

    def test_a_snapshot_is_found_by_id_under_fupin_home(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("FUPIN_HOME", str(tmp_path))
        folder = self.make_snapshot(tmp_path / "snapshots" / "s2017")
        assert resolve_snapshot("s2017") == folder.resolve()

    def test_an_unknown_snapshot_is_refused_in_chinese(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("FUPIN_HOME", str(tmp_path))
        with pytest.raises(DatasetError, match="找不到快照"):
            resolve_snapshot("nope")

    def test_a_snapshot_opens_with_the_same_tables_and_types(self, tmp_path: Path) -> None:
        con = open_dataset(self.make_snapshot(tmp_path / "snap"))
        assert con.execute(
            "SELECT household_id, wage_income, food_secure FROM households"
        ).fetchall() == [("H9", Decimal("2950.00"), True)]
        for table in REGISTRY_TABLES:
            columns = [r[0] for r in con.execute(f"DESCRIBE {table.name}").fetchall()]
            assert columns == list(table.field_names)

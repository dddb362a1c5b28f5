"""The money workbook (资金台账): export and re-import, and errors naming file, sheet, row, column."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook, load_workbook

from fupin.engine.funds.money_format import ALLOCATIONS, DISBURSEMENTS, PAYMENTS
from fupin.funds.checks import run_checks
from fupin.funds.models import Allocation, CarryOver, Disbursement, Payment
from fupin.funds.money_io import export_money, import_money
from tests.funds.registry_county import COUNTY, TOWNS, VILLAGES, person_id


def workbook(path, sheets: dict[str, list[list[object]]]):
    wb = Workbook()
    wb.remove(wb.active)
    tables = {t.label: t for t in (ALLOCATIONS, DISBURSEMENTS, PAYMENTS)}
    for label, rows in sheets.items():
        ws = wb.create_sheet(label)
        ws.append([f.label for f in tables[label].fields])
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


@pytest.mark.django_db
class TestMoneyWorkbook:
    def test_an_exported_county_imports_back_without_a_single_new_row(self, demo_county, tmp_path):
        counts = {m: m.objects.count() for m in (Allocation, Disbursement, Payment, CarryOver)}
        path = tmp_path / "资金台账.xlsx"
        exported = export_money(path, demo_county)
        assert (
            exported["到户资金"] == counts[Payment] and exported["资金拨付"] == counts[Disbursement]
        )
        result = import_money(path)
        assert result.committed, [str(p) for p in result.problems[:5]]
        assert {m: m.objects.count() for m in counts} == counts
        assert run_checks(demo_county, 2017) == []

    def test_a_new_county_workbook_is_imported_and_checked(self, county, tmp_path):
        head_id = person_id(1960, 3)
        path = workbook(
            tmp_path / "台账.xlsx",
            {
                "资金下达": [
                    ["安财农〔2017〕1号", COUNTY, "中央", 2017, dt.date(2017, 3, 1), 100000, None]
                ],
                "资金拨付": [
                    [
                        "BF-1",
                        "安财农〔2017〕1号",
                        dt.date(2017, 5, 1),
                        60000,
                        None,
                        TOWNS[0],
                        dt.date(2017, 5, 10),
                        "欣山镇财政所",
                    ]
                ],
                "到户资金": [
                    [
                        COUNTY,
                        "产业奖补",
                        2017,
                        "张大一",
                        head_id,
                        3000,
                        dt.date(2017, 5, 10),
                        "BF-1",
                        None,
                        None,
                    ]
                ],
            },
        )
        result = import_money(path)
        assert result.committed, [str(p) for p in result.problems]
        payment = Payment.objects.get()
        assert payment.member.id_number == head_id and payment.village_id == VILLAGES[0]
        assert payment.disbursement.voucher == "BF-1"
        findings = {f.rule for f in run_checks(COUNTY, 2017)}
        assert "funds_not_reconciled" in findings  # 40,000 left and no carry-over reported

    def test_errors_name_the_sheet_row_and_column_and_nothing_is_written(self, county, tmp_path):
        path = workbook(
            tmp_path / "台账.xlsx",
            {
                "资金下达": [["文1", COUNTY, "中央", 2017, dt.date(2017, 3, 1), 1000, None]],
                "资金拨付": [
                    ["BF-1", "文1", dt.date(2017, 5, 1), 800, None, None, None, None],
                    ["BF-2", "文1", dt.date(2017, 6, 1), 300, None, VILLAGES[0], None, None],
                    ["BF-3", "文9", dt.date(2017, 6, 1), 1, None, None, None, None],
                ],
                "到户资金": [
                    [
                        COUNTY,
                        "产业奖补",
                        2017,
                        "某人",
                        "360726196003140012",
                        10,
                        dt.date(2017, 6, 1),
                        None,
                        None,
                        None,
                    ]
                ],
            },
        )
        result = import_money(path)
        messages = [str(p) for p in result.problems]
        assert any(m.startswith("台账.xlsx［到户资金］ 第2行 “领款人身份证号”列") for m in messages)
        assert not result.committed and Allocation.objects.count() == 0
        # with the bad ID fixed the cross-sheet checks speak
        wb = load_workbook(path)
        wb["到户资金"].cell(2, 5).value = person_id(1960, 3)
        wb.save(path)
        messages = [str(p) for p in import_money(path).problems]
        assert (
            "台账.xlsx［资金拨付］ 第3行 “经由乡镇区划代码”列，值“360726100001”：不是乡镇级区划"
            in messages
        )
        assert (
            "台账.xlsx［资金拨付］ 第4行 “下达文号”列，值“文9”：下达文号在“资金下达”表和系统中都不存在"
            in messages
        )
        assert any("文号文1累计拨付1100.00元，超过下达金额1000.00元" in m for m in messages)
        assert Allocation.objects.count() == 0 and Disbursement.objects.count() == 0

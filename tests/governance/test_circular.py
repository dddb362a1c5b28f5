"""Monthly circulars: tasks due, done and late by unit; warnings for deadlines without a report."""

import datetime as dt

import pytest
from openpyxl import load_workbook

from fupin.governance import circulars
from fupin.governance.actions import GovernanceError, do_set_task_status, do_submit_progress_report
from fupin.governance.models import Organisation, Task
from fupin.reports import pdf
from tests.pdfs import assert_fonts_embedded, needs_poppler, pdf_text

pytestmark = pytest.mark.django_db

JIANGXI = "360000000000"


@pytest.fixture
def user(seeded, django_user_model):
    return django_user_model.objects.create_user("jx-officer")


def task(number, key="seed-004"):
    return Task.objects.get(task_list__key=key, number=number)


def org(name, region=JIANGXI):
    return Organisation.objects.get(name=name, region_code=region)


class TestCircular:
    def test_tasks_due_done_and_late_are_counted_by_unit(self, user):
        # By the end of October 2017 seed 004 has tasks 1, 2, 3, 10, 19, 24 and 36 due.
        do_set_task_status(task("10"), "done", acting_user=user, completed_on=dt.date(2017, 10, 14))
        do_set_task_status(task("24"), "done", acting_user=user, completed_on=dt.date(2017, 11, 2))
        c = circulars.build_circular("2017-10", region_code=JIANGXI)
        assert (c.tasks_due, c.tasks_done, c.tasks_late) == (7, 1, 6)
        education = next(r for r in c.units if r.unit == "省教育厅")
        assert (education.led, education.due, education.done, education.late) == (2, 1, 0, 1)
        hr = next(r for r in c.units if r.unit == "省人社厅")
        assert (hr.due, hr.done, hr.late) == (1, 1, 0)

    def test_a_department_circular_covers_only_its_tasks(self, user):
        c = circulars.build_circular("2017-11", organisation=org("省教育厅"))
        assert [r.unit for r in c.units] == ["省教育厅"]
        assert c.units[0].led == 2  # tasks 24 and 25

    def test_a_passed_deadline_without_a_report_raises_a_warning(self, user):
        c = circulars.build_circular("2017-10", region_code=JIANGXI)
        warned = {w.task.number for w in c.warnings if w.kind == "逾期未报"}
        assert {"1", "2", "3", "19", "24", "36"} <= warned
        do_submit_progress_report(
            task("24"),
            acting_user=user,
            organisation=org("省教育厅"),
            period="2017-10",
            text="学籍系统与建档立卡系统比对完成90%",
            figures={"比对完成率": 90},
            files=[("比对情况.xlsx", b"PK...")],
        )
        c = circulars.build_circular("2017-10", region_code=JIANGXI)
        assert "24" not in {w.task.number for w in c.warnings if w.kind == "逾期未报"}

    def test_semi_annual_reports_are_due_by_20_july(self, user):
        c = circulars.build_circular("2016-07", region_code="530000000000")
        late = [w for w in c.warnings if w.task.task_list.key == "seed-002"]
        assert late and all(
            w.deadline == dt.date(2016, 7, 20) for w in late if w.kind == "未按时报送"
        )

    def test_a_unit_reports_only_on_its_own_tasks(self, user):
        with pytest.raises(GovernanceError, match="不是该任务的牵头或协同单位"):
            do_submit_progress_report(
                task("24"),
                acting_user=user,
                organisation=org("省商务厅"),
                period="2017-10",
                text="…",
            )

    @needs_poppler
    def test_the_circular_is_written_as_xlsx_and_a_chinese_pdf(self, user, tmp_path):
        c = circulars.build_circular("2017-10", region_code=JIANGXI, scope_name="江西省")
        xlsx = circulars.write_xlsx(c, tmp_path / "通报.xlsx")
        wb = load_workbook(xlsx)
        assert wb["通报"]["A1"].value == "江西省2017年10月脱贫攻坚任务和整改进展通报"
        header = [cell.value for cell in wb["通报"][4]]
        assert header[:6] == ["单位", "牵头任务", "协同任务", "已到期", "已完成", "逾期"]
        assert wb["预警"].max_row > 1
        out = circulars.write_pdf(c, tmp_path / "通报.pdf")
        data = out.read_bytes()
        assert data.startswith(b"%PDF")
        assert _pdf_has_text(data, "脱贫攻坚任务和整改进展通报")
        assert_fonts_embedded(data)


def _pdf_has_text(data: bytes, text: str) -> bool:
    """The text is on a page, as pdftotext reads the text layer (line breaks ignored)."""
    return text in "".join(pdf_text(data).split())


@needs_poppler
class TestPdfHelper:
    def test_a_document_with_a_title_paragraphs_and_a_table_is_written(self, tmp_path):
        out = pdf.write_pdf(
            tmp_path / "a" / "表.pdf",
            "整改进展",
            [
                pdf.Heading("一、总体情况"),
                pdf.Paragraph("已销号5个。"),
                pdf.Table(["单位", "数量"], [["县扶贫办", 5]]),
            ],
        )
        data = out.read_bytes()
        assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
        assert _pdf_has_text(data, "整改进展") and _pdf_has_text(data, "县扶贫办")
        assert not _pdf_has_text(data, "未写入的字")
        assert_fonts_embedded(data)

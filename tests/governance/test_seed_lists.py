"""The seed documents' task lists, imported and exported, checked against the documents' text."""

import csv
import datetime as dt

import pytest

from fupin.governance.exports import task_rows, write_task_csv
from fupin.governance.models import Organisation, Problem, RectificationMeasure, Task, TaskList
from fupin.governance.seeds import load_seeds

pytestmark = pytest.mark.django_db

LOCAL_GOVS = "各市、县(市、区)党委和政府"


def rows(key):
    return {r["number"]: r for r in task_rows(key)}


class TestSeed000:
    """Yunnan 2017, 百日行动 task list: items 1–44 under three parts, no units named."""

    def test_it_has_the_44_numbered_items_in_order(self, seeded):
        numbers = [r["number"] for r in task_rows("seed-000")]
        assert numbers == [str(i) for i in range(1, 45)]

    def test_items_sit_under_the_documents_parts_and_sections(self, seeded):
        t17 = Task.objects.get(task_list__key="seed-000", number="17")
        assert t17.parent.text == "贫困县摘帽"
        assert t17.parent.parent.text == "贫困退出考核评估"
        t35 = Task.objects.get(task_list__key="seed-000", number="35")
        assert t35.parent.text == "持续整改工作"

    def test_an_items_text_keeps_its_sub_items(self, seeded):
        text = rows("seed-000")["1"]["text"]
        assert text.startswith("“两不愁”")
        assert "2017年暂按3200元计算" in text and "四季衣服和达标饮水" in text

    def test_no_units_are_invented(self, seeded):
        assert all(r["lead_units"] == "" and r["co_units"] == "" for r in task_rows("seed-000"))

    def test_the_county_exit_reporting_date_belongs_to_the_documents_year(self, seeded):
        sub = Task.objects.get(task_list__key="seed-000", number="21(9)")
        assert sub.due == dt.date(2017, 12, 20)
        assert [m["date"] for m in sub.milestones] == ["2017-12-20", "2018-01-10", "2018-02-28"]

    def test_measurable_targets_are_kept(self, seeded):
        t16 = Task.objects.get(task_list__key="seed-000", number="16")
        assert t16.targets[0]["indicator"] == "贫困村集体经济收入"
        assert t16.targets[0]["value"] == 20000


class TestSeed002:
    """Yunnan 2015, 省级部门责任分工方案: every item names 牵头单位 and 协同单位."""

    def test_it_has_82_items_22_36_and_24_in_the_three_parts(self, seeded):
        numbers = [r["number"] for r in task_rows("seed-002")]
        assert len(numbers) == 82
        assert [sum(n.startswith(p) for n in numbers) for p in ("(一)", "(二)", "(三)")] == [
            22,
            36,
            24,
        ]

    def test_the_first_item_has_its_lead_and_seven_co_operating_units(self, seeded):
        r = rows("seed-002")["(一)1.(1)"]
        assert r["lead_units"] == "省农业厅"
        assert r["co_units"].split(";") == [
            "省发展改革委",
            "省工业和信息化委",
            "省科技厅",
            "省财政厅",
            "省林业厅",
            "省旅游发展委",
            "省扶贫办",
        ]

    def test_an_item_with_three_lead_units_keeps_all_three(self, seeded):
        r = rows("seed-002")["(一)2.(1)"]
        assert r["lead_units"].split(";") == ["省住房城乡建设厅", "省发展改革委", "省财政厅"]
        assert len(r["co_units"].split(";")) == 21

    def test_two_units_run_together_without_a_separator_are_split(self, seeded):
        co = rows("seed-002")["(三)2.(1)"]["co_units"].split(";")
        assert co[-2:] == ["省林业厅", "省水利厅"]

    def test_a_lead_unit_that_lost_its_colon_is_still_read(self, seeded):
        r = rows("seed-002")["(三)6"]
        assert r["lead_units"] == "省扶贫办"
        assert "户有卡、村有册、乡有簿、县有档" in r["text"]

    def test_a_unit_printed_twice_is_listed_once(self, seeded):
        co = rows("seed-002")["(三)1.(4)"]["co_units"].split(";")
        assert co.count("中国保监会云南监管局") == 1

    def test_a_section_without_sub_items_is_itself_a_task(self, seeded):
        r = rows("seed-002")["(二)7"]
        assert r["lead_units"] == "省扶贫办;省民族宗教委"
        assert r["text"].startswith("实施人口较少民族整族帮扶工程")

    def test_a_dated_item_is_due_at_the_end_of_its_year(self, seeded):
        assert rows("seed-002")["(一)2.(2)"]["due"] == "2016-12-31"

    def test_the_list_reports_semi_annually_by_20_july_and_20_january(self, seeded):
        tl = TaskList.objects.get(key="seed-002")
        assert tl.report_kind == "semiannual"
        assert tl.report_days == ["07-20", "01-20"]

    def test_a_unit_spelled_two_ways_is_one_unit(self, seeded):
        org = Organisation.objects.get(region_code="530000000000", name="省发展改革委")
        assert "省发展改革委员会" in org.aliases
        sixth = Task.objects.get(task_list__key="seed-002", number="(三)6")
        assert Task.objects.for_organisation(org).filter(pk=sixth.pk).exists()
        assert "省发展改革委员会" in rows("seed-002")["(三)6"]["co_units"]


class TestSeed004:
    """Jiangxi 2017, 百日行动 attachment: 50 tasks with dates and 责任单位."""

    def test_it_has_the_50_tasks_numbered_1_to_50(self, seeded):
        assert [r["number"] for r in task_rows("seed-004")] == [str(i) for i in range(1, 51)]

    def test_the_task_that_lost_its_number_is_task_12_with_its_units(self, seeded):
        r = rows("seed-004")["12"]
        assert r["text"].startswith("因地制宜制定产业奖补政策")
        assert r["lead_units"].split(";") == ["省农业厅", "省扶贫和移民办", "省林业厅", LOCAL_GOVS]

    def test_only_responsible_units_are_named_so_they_are_the_lead_units(self, seeded):
        assert all(r["co_units"] == "" and r["lead_units"] for r in task_rows("seed-004"))

    def test_tasks_1_to_3_share_one_list_of_units(self, seeded):
        r = rows("seed-004")
        assert r["1"]["lead_units"] == r["2"]["lead_units"] == r["3"]["lead_units"]
        assert r["1"]["lead_units"] == f"{LOCAL_GOVS};省直相关部门单位"

    def test_units_printed_over_two_lines_are_one_list(self, seeded):
        assert rows("seed-004")["7"]["lead_units"].split(";") == [
            LOCAL_GOVS,
            "省农业厅",
            "省扶贫和移民办",
            "省林业厅",
            "省旅发委",
        ]

    def test_the_heading_without_its_number_opens_section_13(self, seeded):
        r = rows("seed-004")
        assert r["41"]["lead_units"] == "市、县(市、区)党委和政府"
        assert r["42"]["lead_units"].split(";")[0] == "省委组织部"
        t42 = Task.objects.get(task_list__key="seed-004", number="42")
        assert (t42.parent.number, t42.parent.text) == ("十三", "强化第一书记和驻村工作队作用")

    def test_dates_without_a_year_belong_to_2017(self, seeded):
        r = rows("seed-004")
        assert r["1"]["due"] == "2017-10-25"
        assert r["2"]["due"] == "2017-10-30"
        assert r["7"]["due"] == "2017-11-15"
        assert r["10"]["due"] == "2017-10-15"
        assert r["38"]["due"] == "2017-11-30"  # 11月底前
        assert r["4"]["due"] == ""

    def test_items_numbered_with_a_comma_keep_their_numbers(self, seeded):
        r = rows("seed-004")
        assert r["35"]["text"].startswith("11月30日前制订支持民营企业")
        assert r["35"]["lead_units"].split(";")[0] == "省工商联"
        assert r["47"]["text"].startswith("实行最严格考核评估")

    def test_the_carry_over_limit_is_a_measurable_target(self, seeded):
        t31 = Task.objects.get(task_list__key="seed-004", number="31")
        first = t31.targets[0]
        assert (first["op"], first["value"], first["unit"]) == ("<", 8, "%")


class TestSeed003:
    """陇川县 2018 rectification plan: six problem groups and twelve measures."""

    def test_it_has_six_groups_of_19_problems_and_12_measures(self, seeded):
        problems = Problem.objects.filter(plan__key="seed-003")
        assert problems.values("group_number").distinct().count() == 6
        assert problems.count() == 19
        assert RectificationMeasure.objects.filter(plan__key="seed-003", parent=None).count() == 12

    def test_the_measured_wrong_exit_rate_is_kept(self, seeded):
        p = Problem.objects.get(plan__key="seed-003", number="(三)1")
        assert p.figures[0]["indicator"] == "错退率"
        assert p.figures[0]["value"] == 20.12

    def test_measures_carry_lead_departments_and_deadlines(self, seeded):
        m1 = RectificationMeasure.objects.get(plan__key="seed-003", number="(一)")
        assert m1.unit_names("lead") == ["县委办", "县政府办"]
        assert m1.long_term
        m72 = RectificationMeasure.objects.get(plan__key="seed-003", number="(七)2")
        assert m72.unit_names("lead") == ["县人社局"]
        assert m72.due == dt.date(2018, 9, 30)
        m8 = RectificationMeasure.objects.get(plan__key="seed-003", number="(八)")
        assert m8.unit_names("lead") == ["县脱贫攻坚指挥部"]
        assert m8.due == dt.date(2018, 6, 10)

    def test_each_problem_enters_the_ledger_open_with_a_lead_department(self, seeded):
        p = Problem.objects.get(plan__key="seed-003", number="(一)3")
        assert p.status == "open"
        assert p.lead_unit.name == "县易地扶贫搬迁指挥部"
        assert p.due == dt.date(2018, 6, 10)
        assert p.source_kind == "assessment"


class TestLoading:
    def test_loading_twice_changes_nothing(self):
        first = load_seeds()
        counts = (Task.objects.count(), Organisation.objects.count(), Problem.objects.count())
        second = load_seeds()
        assert first == second == {"seed-000": 44, "seed-002": 82, "seed-004": 50, "seed-003": 19}
        assert (
            Task.objects.count(),
            Organisation.objects.count(),
            Problem.objects.count(),
        ) == counts

    def test_the_csv_has_exactly_the_five_columns(self, seeded, tmp_path):
        out = tmp_path / "seed-004.csv"
        assert write_task_csv("seed-004", out) == 50
        with out.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            assert next(reader) == ["number", "text", "lead_units", "co_units", "due"]
            assert sum(1 for _ in reader) == 50

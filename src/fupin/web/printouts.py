"""Printouts in Chinese (PDF): 帮扶明白卡, 村有册, 乡有簿, through the shared PDF helper."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from fupin.engine.standard_format import STATUSES
from fupin.registry.models import Household, Member, Region
from fupin.reports.pdf import Heading, Paragraph, Table, pdf_bytes
from fupin.web import stats
from fupin.web.masking import mask_id, mask_phone


def _yes(value: bool | None) -> str:
    return {True: "是", False: "否", None: ""}[value]


def _age(birth: dt.date | None, today: dt.date) -> str:
    if birth is None:
        return ""
    return str(today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day)))


def _place(region: Region) -> str:
    names = []
    r: Region | None = region
    while r is not None:
        names.insert(0, r.name)
        r = r.parent
    return "".join(names)


def policies_received(h: Household, members: list[Member]) -> list[str]:
    """What the household receives, read off the registry's flags."""
    out = []
    pairs = [
        ("享受农村低保", [m.name for m in members if m.dibao]),
        ("特困供养", [m.name for m in members if m.tekun]),
        ("参加基本医疗保险", [m.name for m in members if m.medical_insured]),
        ("参加大病保险", [m.name for m in members if m.critical_illness_insured]),
        ("参加养老保险", [m.name for m in members if m.pension_insured]),
    ]
    for label, names in pairs:
        if names:
            out.append(f"{label}：{'、'.join(names)}")
    in_school = [m.name for m in members if m.school_status not in ("", "非在校生")]
    if in_school:
        out.append(f"在校就读（教育资助对象）：{'、'.join(in_school)}")
    if h.family_doctor:
        out.append("家庭医生签约服务")
    if h.relocated:
        out.append("易地扶贫搬迁" + ("（已入住）" if h.relocation_moved_in else ""))
    if h.housing_renovated:
        out.append("农村危房改造（已入住）")
    return out


def help_card(h: Household, *, today: dt.date | None = None) -> bytes:
    """帮扶明白卡 of one household, to be posted on the wall: no full ID or household phone."""
    today = today or dt.date.today()
    members = list(h.members.all())
    members.sort(key=lambda m: (m.relation != "户主", m.birth_date or today))
    income = stats.household_income(h, len(members))
    causes = h.main_cause + (
        f"（其他：{h.other_causes.replace(';', '、')}）" if h.other_causes else ""
    )
    blocks = [
        Heading("一、基本情况"),
        Table(
            ["户主", "户编号", "住址", "贫困户属性", "贫困状态"],
            [[h.head_name, h.household_id, _place(h.region) + h.group_name, h.attribute, h.status]],
        ),
        Paragraph(
            f"户主身份证号：{mask_id(h.head_id_number)}　联系电话：{mask_phone(h.phone) or '无'}　"
            f"识别年度：{h.identified_year or ''}　脱贫年度：{h.exit_year or ''}"
        ),
        Paragraph(f"致贫原因：{causes}"),
        Heading(f"二、家庭成员（共{len(members)}人）"),
        Table(
            ["姓名", "与户主关系", "性别", "年龄", "健康状况", "劳动能力", "在校生状况"],
            [
                [
                    m.name,
                    m.relation,
                    m.sex,
                    _age(m.birth_date, today),
                    m.health.replace(";", "、"),
                    m.labor_ability,
                    m.school_status,
                ]
                for m in members
            ],
        ),
        Heading("三、帮扶责任人"),
        Paragraph(
            f"帮扶责任人：{h.helper_name or '未落实'}　单位：{h.helper_unit or ''}　"
            f"联系电话：{h.helper_phone or ''}"
        ),
        Heading("四、帮扶措施及成效"),
        Table(
            ["年度", "措施类型", "措施内容", "金额（元）"],
            [[m.year or "", m.kind, m.description, m.amount] for m in h.measures.order_by("year")]
            or [["", "暂无", "", ""]],
        ),
        Paragraph(
            f"家庭年纯收入：{income['total']}元；人均纯收入：{income['per_person'] or '—'}元"
            f"（工资性{h.wage_income}元，生产经营性{h.business_income}元，"
            f"减生产经营性支出{h.business_expense}元，财产性{h.property_income}元，"
            f"转移性{h.transfer_income}元）"
        ),
        Heading("五、享受政策"),
    ]
    received = policies_received(h, members)
    blocks += [Paragraph(x) for x in received] or [Paragraph("暂无")]
    blocks.append(Paragraph(f"打印日期：{today.isoformat()}"))
    return pdf_bytes(
        "帮扶明白卡",
        blocks,
        subtitle=f"{_place(h.region)} · {h.head_name}户",
    )


def village_register(village: Region, *, today: dt.date | None = None) -> bytes:
    """村有册: the village's households in one table."""
    today = today or dt.date.today()
    households = list(
        Household.objects.filter(region=village)
        .annotate(n=Count("members"))
        .order_by("group_name", "household_id")
    )
    rows = []
    for h in households:
        income = stats.household_income(h, h.n)
        rows.append(
            [
                h.household_id,
                h.group_name,
                h.head_name,
                h.n,
                h.attribute,
                h.main_cause,
                h.status,
                h.exit_year or "",
                income["per_person"] if income["per_person"] is not None else "",
                h.helper_name,
            ]
        )
    figures = stats.region_figures(village)
    summary = "，".join(f"{s}{n}户{p}人" for s, n, p in figures["by_status"] if n)
    return pdf_bytes(
        f"{village.name}建档立卡贫困户花名册（村有册）",
        [
            Paragraph(f"共{figures['households']}户{figures['people']}人：{summary or '无'}。"),
            Table(
                [
                    "户编号",
                    "村民小组",
                    "户主",
                    "人口",
                    "属性",
                    "主要致贫原因",
                    "状态",
                    "脱贫年度",
                    "人均纯收入",
                    "帮扶责任人",
                ],
                rows or [["", "", "暂无", "", "", "", "", "", "", ""]],
                col_widths=[30, 20, 22, 12, 30, 28, 18, 18, 24, 24],
            ),
            Paragraph(f"打印日期：{today.isoformat()}"),
        ],
        subtitle=_place(village),
        wide=True,
    )


def township_book(township: Region, *, today: dt.date | None = None) -> bytes:
    """乡有簿: each village of a township with its households by status."""
    today = today or dt.date.today()
    rows = []
    totals = [0] * (len(STATUSES) + 2)
    for child in stats.children_figures(township):
        village = child["region"]
        people = Member.objects.within(village.code).count()
        counts = [n for _, n in child["by_status"]]
        rows.append(
            [village.name, village.code, village.poverty_flag, child["households"], people, *counts]
        )
        for i, v in enumerate([child["households"], people, *counts]):
            totals[i] += v
    rows.append(["合计", "", "", *totals])
    return pdf_bytes(
        f"{township.name}建档立卡贫困户统计簿（乡有簿）",
        [
            Table(
                ["村", "区划代码", "贫困村标识", "户数", "人数", *[f"{s}户" for s in STATUSES]],
                rows,
            ),
            Paragraph(f"打印日期：{today.isoformat()}"),
        ],
        subtitle=_place(township),
        wide=True,
    )

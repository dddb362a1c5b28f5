"""公告公示: what a county, township or village notice of a fund year shows, as data, PDF or page.

A notice shows what the documents ask to be made public (seed 000 item 33: 资金安排、项目建设、
受益对象; seed 003 四、（十一）三是: county and township allocation results, township and village
project arrangements and fund use) and nothing personal beyond names with masked ID numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum

from fupin.engine.funds import figures as f
from fupin.engine.idcard import mask
from fupin.funds.models import Allocation, Notice, Payment, Project
from fupin.registry.models import Region


@dataclass
class Section:
    heading: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class NoticeContent:
    region: Region
    level: str
    fund_year: int
    title: str
    intro: str
    sections: list[Section] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def _money(value: Decimal | None) -> str:
    return f"{f.yuan(value):,}"


def _project_rows(projects: list[Project]) -> list[list[str]]:
    return [
        [
            p.code,
            p.name,
            p.kind,
            p.village.name if p.village else "全县",
            _money(p.budget),
            p.funding_sources or "—",
            p.implementing_unit or "—",
            str(p.n_households),  # type: ignore[attr-defined]
            p.status,
        ]
        for p in projects
    ]


PROJECT_HEADER = [
    "项目编号",
    "项目名称",
    "类型",
    "地点",
    "资金（元）",
    "资金来源",
    "实施单位",
    "受益户数",
    "进度",
]


def notice_content(region_code: str, fund_year: int) -> NoticeContent:
    """The notice of a county, township or village for a fund year (projects, money, payees)."""
    region = Region.objects.get(code=region_code)
    level = {"县": "县", "乡": "乡", "村": "村"}.get(region.level)
    if level is None:
        raise ValueError(f"{region.name}不是县、乡或村，没有公告公示")
    projects = (
        Project.objects.filter(plan_year=fund_year)
        .exclude(status="已取消")
        .select_related("village")
        .annotate(n_households=Count("beneficiary_households", distinct=True))
        .order_by("code")
    )
    if level == "县":
        projects = projects.filter(county_id=region_code)
    elif level == "乡":
        projects = projects.filter(village__parent_id=region_code)
    else:
        projects = projects.filter(village_id=region_code)
    project_list = list(projects)
    content = NoticeContent(
        region=region,
        level=level,
        fund_year=fund_year,
        title=f"{region.name}{fund_year}年扶贫资金使用及项目安排公告公示",
        intro=(
            f"根据扶贫项目资金公告公示制度，现将{region.name}{fund_year}年扶贫资金安排、项目建设和受益对象情况予以公示，"
            "接受群众和社会监督。如有异议，请在公示期内向乡镇人民政府或县扶贫开发领导小组办公室反映。"
        ),
        notices=list(
            Notice.objects.filter(region_id=region_code, fund_year=fund_year).order_by(
                "published_on"
            )
        ),
    )
    if level == "县":
        rows = (
            Allocation.objects.filter(county_id=region_code, fund_year=fund_year)
            .values("source")
            .annotate(total=Sum("amount"), n=Count("id"))
            .order_by("source")
        )
        allocation_rows = [[r["source"], str(r["n"]), _money(r["total"])] for r in rows]
        total = sum((r["total"] for r in rows), Decimal(0))
        allocation_rows.append(["合计", str(sum(r["n"] for r in rows)), _money(total)])
        content.sections.append(
            Section("一、资金分配结果", ["资金来源", "下达批次", "金额（元）"], allocation_rows)
        )
    content.sections.append(
        Section(
            "二、项目安排" if level == "县" else "一、项目安排",
            PROJECT_HEADER,
            _project_rows(project_list),
            note=f"共{len(project_list)}个项目，资金{_money(sum((p.budget for p in project_list), Decimal(0)))}元。",
        )
    )
    if level == "村":
        payments = (
            Payment.objects.filter(village_id=region_code, fund_year=fund_year)
            .order_by("kind", "payee_name")
            .values_list("payee_name", "payee_id_number", "kind", "amount", "paid_on")
        )
        content.sections.append(
            Section(
                "二、到户资金发放名单",
                ["姓名", "身份证号", "补助类型", "金额（元）", "发放日期"],
                [
                    [name, mask(number), kind, _money(amount), paid_on.isoformat()]
                    for name, number, kind, amount, paid_on in payments
                ],
                note="身份证号中间部分已隐去。",
            )
        )
    return content


def public_years(village_code: str) -> list[int]:
    """Fund years the village has published notices for: only these are shown to the public."""
    return sorted(
        set(
            Notice.objects.filter(region_id=village_code, level="村").values_list(
                "fund_year", flat=True
            )
        ),
        reverse=True,
    )


def public_content(village_code: str, fund_year: int) -> NoticeContent:
    """The village page: projects and payees only of the kinds that were actually published."""
    content = notice_content(village_code, fund_year)
    kinds = {n.kind for n in content.notices}
    if "项目安排" not in kinds:
        content.sections = [s for s in content.sections if "项目安排" not in s.heading]
    if "到户资金" not in kinds:
        content.sections = [s for s in content.sections if "到户资金" not in s.heading]
    return content


def notice_pdf(content: NoticeContent) -> bytes:
    """The printable notice, through the shared Chinese PDF helper (its font is embedded)."""
    from fupin.reports import pdf

    published = (
        "、".join(f"{n.title}（{n.published_on.isoformat()}）" for n in content.notices)
        or "尚未发布"
    )
    subtitle = f"{content.region.name}（{content.region.code}） 已发布：{published}"
    blocks: list[pdf.Block] = [pdf.Paragraph(content.intro)]
    for s in content.sections:
        blocks.append(pdf.Heading(s.heading))
        none: list[object] = ["（无）", *([""] * (len(s.header) - 1))]
        rows: list[list[object]] = [list(row) for row in s.rows] or [none]
        blocks.append(pdf.Table(s.header, rows))
        if s.note:
            blocks.append(pdf.Paragraph(s.note))
    return pdf.pdf_bytes(content.title, blocks, subtitle=subtitle, wide=True)

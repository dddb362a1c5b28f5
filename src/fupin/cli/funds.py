"""`fupin funds …`: project library import/export, checks, notices, reports and demo funds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from fupin.cli.django_setup import setup_django


@click.group("funds")
def funds_group() -> None:
    """扶贫资金与项目：项目库导入导出、资金检查、公告公示、报表。"""


@funds_group.command("import")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(workbook: Path) -> None:
    """导入项目库（XLSX）：全部通过检查才写入，否则一行也不写。"""
    setup_django()
    from fupin.funds.projects_io import import_projects

    result = import_projects(workbook)
    if not result.committed:
        for problem in result.problems[:200]:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"项目库未导入：发现{len(result.problems)}个问题，未写入任何数据"
        )
    click.echo(f"项目库已导入：新增{result.created}个，更新{result.updated}个")


@funds_group.command("export")
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--region", default=None, help="只导出该区划（县及以上）的项目")
@click.option("--year", type=int, default=None, help="只导出该计划年度")
def export_command(workbook: Path, region: str | None, year: int | None) -> None:
    """导出项目库（XLSX，可再导入）。"""
    setup_django()
    from fupin.funds.projects_io import export_projects

    count = export_projects(workbook, region, year)
    click.echo(f"已导出{count}个项目 → {workbook}")


@funds_group.command("import-money")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_money_command(workbook: Path) -> None:
    """导入资金台账（XLSX：资金下达、资金拨付、到户资金、结转结余），全部通过检查才写入。"""
    setup_django()
    from fupin.funds.money_io import import_money

    result = import_money(workbook)
    if not result.committed:
        for problem in result.problems[:200]:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"资金台账未导入：发现{len(result.problems)}个问题，未写入任何数据"
        )
    click.echo("资金台账已导入：" + "，".join(f"{k}{v}行" for k, v in result.counts.items()))


@funds_group.command("export-money")
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--county", required=True, help="县区划代码")
def export_money_command(workbook: Path, county: str) -> None:
    """导出一个县的资金台账（XLSX，可再导入）。"""
    setup_django()
    from fupin.funds.money_io import export_money
    from fupin.registry.models import Region

    if not Region.objects.filter(code=county, level="县").exists():
        raise click.ClickException(f"区划代码 {county} 不是系统中的县")
    counts = export_money(workbook, county)
    click.echo("已导出：" + "，".join(f"{k}{v}行" for k, v in counts.items()) + f" → {workbook}")


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("日期应为YYYY-MM-DD格式") from None


@funds_group.command("check")
@click.argument("county")
@click.option("--year", type=int, required=True, help="检查年度")
@click.option("--as-of", "as_of", default=None, help="检查日期（默认该年12月31日）")
@click.option("--policy", default="funds-jiangxi-2017", show_default=True, help="资金策略文件")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="把问题清单写入 XLSX",
)
@click.option("--strict", is_flag=True, help="发现问题时以非0状态退出")
@click.option(
    "--register", is_flag=True, help="把发现的问题登记到整改台账（已登记未销号的不重复登记）"
)
def check_command(
    county: str,
    year: int,
    as_of: str | None,
    policy: str,
    out: Path | None,
    strict: bool,
    register: bool,
) -> None:
    """按策略检查一个县的扶贫资金与项目，列出发现的问题。"""
    setup_django()
    from fupin.engine.funds.policy import FundsPolicyError, load_funds_policy
    from fupin.funds.checks import run_checks

    try:
        rules = load_funds_policy(policy)
        findings = run_checks(county, year, as_of=_date(as_of), policy=rules)
    except (FundsPolicyError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    for x in findings:
        click.echo(f"【{x.name}】{x.subject}：{x.message}（{x.source}）")
    click.echo(f"共发现{len(findings)}个问题")
    if register and findings:
        from fupin.funds.actions import do_register_findings

        added = do_register_findings(findings, acting_user=None)
        click.echo(f"已登记到整改台账：{added}个（其余已在台账中）")
    if out:
        from openpyxl import Workbook

        wb = Workbook()
        sheet = wb.active
        sheet.title = "发现问题"
        header = (
            list(findings[0].as_row())
            if findings
            else ["规则", "规则编号", "县", "地区", "对象", "问题", "金额", "出处"]
        )
        sheet.append(header)
        for x in findings:
            sheet.append(list(x.as_row().values()))
        wb.save(out)
        click.echo(f"问题清单 → {out}")
    if strict and findings:
        raise SystemExit(1)


@funds_group.command("notices")
@click.argument("region")
@click.option("--year", type=int, required=True, help="资金年度")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="输出目录"
)
@click.option("--all-levels/--only", default=True, help="县级时同时生成所属乡、村的公告")
def notices_command(region: str, year: int, out: Path, all_levels: bool) -> None:
    """生成县、乡、村扶贫资金使用及项目安排公告公示（PDF）。"""
    setup_django()
    from fupin.funds.notices import notice_content, notice_pdf
    from fupin.registry.models import Region

    top = Region.objects.filter(code=region).first()
    if top is None:
        raise click.ClickException(f"区划代码 {region} 不在系统中")
    places = [top]
    if all_levels:
        places += list(
            Region.objects.within(region)
            .filter(level__in=("乡", "村"))
            .exclude(code=region)
            .order_by("code")
        )
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for place in places:
        try:
            content = notice_content(place.code, year)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        (out / f"{place.code}-{place.name}-{year}.pdf").write_bytes(notice_pdf(content))
        written += 1
    click.echo(f"已生成{written}份公告公示 → {out}")


@funds_group.command("report")
@click.argument("county")
@click.option("--year", type=int, required=True)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="输出目录"
)
def report_command(county: str, year: int, out: Path) -> None:
    """生成资金绩效评价表和项目进度台账（XLSX）。"""
    setup_django()
    from fupin.funds.reports import fund_performance, ledger_workbook, performance_workbook
    from fupin.registry.models import Region

    if not Region.objects.filter(code=county, level="县").exists():
        raise click.ClickException(f"区划代码 {county} 不是系统中的县")
    out.mkdir(parents=True, exist_ok=True)
    performance_workbook(
        out / f"{county}-{year}-资金绩效评价表.xlsx", fund_performance(county, year)
    )
    ledger_workbook(out / f"{county}-项目进度台账.xlsx", county)
    click.echo(f"报表 → {out}")


@funds_group.command("demo")
@click.argument("county")
@click.option("--seed", type=int, default=2017, show_default=True)
@click.option("--year", type=int, default=2017, show_default=True)
def demo_command(county: str, seed: int, year: int) -> None:
    """为系统中已有的一个县生成演示资金数据（可对账、无问题）。"""
    setup_django()
    from fupin.funds.demo import generate_funds

    try:
        result = generate_funds(county, seed, year=year)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("已生成：" + "，".join(f"{k} {v}" for k, v in sorted(result.counts.items())))


COMMANDS = [funds_group]

"""Governance commands: the rectification ledger, circulars and the county exit procedure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from fupin.cli.django_setup import setup_django


@click.group("ledger")
def ledger_group() -> None:
    """整改台账：导出问题清单、责任清单、整改清单。"""


@ledger_group.command("export")
@click.option("--plan", "plan_key", default=None, help="整改方案编号，如 seed-003；默认全部")
@click.option("--region", default=None, help="区划代码（只导出该区划内的问题）")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def ledger_export_command(plan_key: str | None, region: str | None, out: Path) -> None:
    """导出整改台账（XLSX，三张表：问题清单、责任清单、整改清单）。"""
    setup_django()
    from fupin.governance.exports import write_ledger_xlsx
    from fupin.governance.models import Problem
    from fupin.registry.regions import subtree_range

    problems = Problem.objects.all()
    if plan_key:
        problems = problems.filter(plan__key=plan_key)
    if region:
        low, high = subtree_range(region)
        problems = problems.filter(region_code__gte=low, region_code__lte=high)
    if not problems.exists():
        raise click.ClickException("没有符合条件的整改问题（是否已运行 fupin tasks load-seeds？）")
    write_ledger_xlsx(problems, out)
    click.echo(f"已导出 {problems.count()} 个问题 → {out}")


@click.command("circular")
@click.option("--month", required=True, help="通报月份 YYYY-MM")
@click.option("--region", default=None, help="区划代码")
@click.option("--unit", default=None, help="单位名称（按部门通报）")
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
def circular_command(
    month: str, region: str | None, unit: str | None, xlsx: Path | None, pdf_path: Path | None
) -> None:
    """生成月度进展通报（XLSX 和/或 PDF）。"""
    setup_django()
    from fupin.governance import circulars
    from fupin.governance.models import Organisation

    org = None
    if unit:
        qs = Organisation.objects.filter(name=unit)
        if region:
            qs = qs.filter(region_code=region)
        if qs.count() != 1:
            raise click.ClickException(f"找不到唯一的单位“{unit}”，请同时给出 --region")
        org = qs.get()
    try:
        c = circulars.build_circular(month, region_code=None if org else region, organisation=org)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(c.title)
    click.echo(circulars.summary_text(c))
    if xlsx:
        circulars.write_xlsx(c, xlsx)
        click.echo(f"XLSX → {xlsx}")
    if pdf_path:
        circulars.write_pdf(c, pdf_path)
        click.echo(f"PDF → {pdf_path}")
    for w in c.warnings[:20]:
        click.echo(f"预警：{w.text}")


@click.group("county-exit")
def county_exit_group() -> None:
    """贫困县退出程序：建立、录入环节、查看进度。"""


@county_exit_group.command("start")
@click.option("--county", "county_code", required=True, help="县区划代码（12位）")
@click.option("--name", "county_name", required=True)
@click.option("--year", type=int, required=True)
@click.option("--national/--provincial", default=False, help="国家级贫困县")
@click.option("--policy", default="exit-procedure-anhui-2018", show_default=True)
def county_exit_start(
    county_code: str, county_name: str, year: int, national: bool, policy: str
) -> None:
    setup_django()
    from fupin.governance.actions import GovernanceError, do_start_county_exit

    try:
        ce = do_start_county_exit(
            acting_user=None,
            county_code=county_code,
            county_name=county_name,
            year=year,
            national=national,
            policy=policy,
        )
    except GovernanceError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已建立 {ce}，当前环节：{ce.state}")


@county_exit_group.command("record")
@click.option("--county", "county_code", required=True)
@click.option("--year", type=int, required=True)
@click.option("--step", required=True, help="环节编号，如 provincial_verification")
@click.option("--date", "decided_on", required=True, help="决定日期 YYYY-MM-DD")
@click.option("--body", default="", help="决定机关")
@click.option("--document", "documents", multiple=True, help="依据文件（可多次）")
@click.option("--incidence", type=float, default=None, help="贫困发生率（%）")
@click.option(
    "--summary",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="fupin evaluate 的 summary.json，从中读取本县贫困发生率",
)
@click.option("--figure", "figures", multiple=True, help="其他数据 名称=值，如 wrong_exit_rate=1.2")
@click.option("--procedure-not-compliant", is_flag=True, help="程序不合规")
@click.option("--materials-incomplete", is_flag=True, help="资料不齐全")
def county_exit_record(
    county_code: str,
    year: int,
    step: str,
    decided_on: str,
    body: str,
    documents: tuple[str, ...],
    incidence: float | None,
    summary: Path | None,
    figures: tuple[str, ...],
    procedure_not_compliant: bool,
    materials_incomplete: bool,
) -> None:
    """录入当前环节的决定；省级核查按政策规则判定（贫困发生率超过2%不予退出）。"""
    setup_django()
    from fupin.governance import procedure
    from fupin.governance.actions import GovernanceError, do_record_exit_step
    from fupin.governance.models import CountyExit

    ce = CountyExit.objects.filter(county_code=county_code, year=year).first()
    if ce is None:
        raise click.ClickException(
            f"没有 {county_code} {year}年的退出程序，请先运行 fupin county-exit start"
        )
    values: dict[str, object] = {}
    for item in figures:
        name, _, raw = item.partition("=")
        values[name.strip()] = float(raw)
    if summary is not None:
        try:
            values["incidence"] = procedure.incidence_from_summary(summary, county_code)
        except procedure.ProcedureError as exc:
            raise click.ClickException(str(exc)) from exc
        values["incidence_source"] = str(summary)
    if incidence is not None:
        values["incidence"] = incidence
    if procedure_not_compliant:
        values["procedure_compliant"] = False
    if materials_incomplete:
        values["materials_complete"] = False
    try:
        rec = do_record_exit_step(
            ce,
            acting_user=None,
            step=step,
            decided_on=dt.date.fromisoformat(decided_on),
            deciding_body=body,
            documents=list(documents),
            figures=values,
        )
    except GovernanceError as exc:
        raise click.ClickException(str(exc)) from exc
    ce.refresh_from_db()
    click.echo(
        f"{rec.step_name}：{rec.get_outcome_display()}{('。' + rec.message) if rec.message else ''}"
    )
    click.echo(
        f"当前环节：{ce.state}{('，结论：' + ce.get_outcome_display()) if ce.outcome else ''}"
    )


@click.command("household-exit")
@click.option("--household", "household_id", required=True, help="户编号")
@click.option("--year", type=int, required=True, help="脱贫年度")
@click.option(
    "--step", required=True, type=click.Choice(["民主评议", "村内公示", "乡镇审核", "县级审定"])
)
@click.option("--date", "decided_on", required=True, help="日期 YYYY-MM-DD")
@click.option("--passed/--not-passed", default=True, help="是否通过")
@click.option("--note", default="", help="说明（如评议票数、公示有无异议）")
@click.option("--document", "documents", multiple=True, help="依据文件（可多次）")
def household_exit_command(
    household_id: str,
    year: int,
    step: str,
    decided_on: str,
    passed: bool,
    note: str,
    documents: tuple[str, ...],
) -> None:
    """贫困户退出：民主评议 → 村内公示 → 乡镇审核 → 县级审定（审定后标注脱贫）。"""
    setup_django()
    from fupin.governance.actions import GovernanceError, do_record_household_exit_step
    from fupin.registry.models import Household

    household = Household.objects.filter(pk=household_id).first()
    if household is None:
        raise click.ClickException(f"没有户编号为 {household_id} 的贫困户")
    try:
        he = do_record_household_exit_step(
            household,
            year,
            step,
            acting_user=None,
            passed=passed,
            decided_on=dt.date.fromisoformat(decided_on),
            note=note,
            documents=list(documents),
        )
    except GovernanceError as exc:
        raise click.ClickException(str(exc)) from exc
    if he.outcome == "exited":
        click.echo(f"{household}：{step}通过，已标注脱贫（{year}年）")
    elif he.outcome == "stopped":
        click.echo(f"{household}：{step}未通过，本年度退出程序终止")
    else:
        click.echo(f"{household}：{step}通过，下一环节：{he.state}")


COMMANDS = [ledger_group, circular_command, county_exit_group, household_exit_command]

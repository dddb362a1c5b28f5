"""Department data comparison: `fupin compare`."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import click

MAX_PROBLEMS_SHOWN = 50


@click.command("compare")
@click.option(
    "--data",
    "data",
    type=click.Path(exists=True, path_type=Path),
    help="建档立卡数据：标准格式的 CSV 文件夹或 XLSX 工作簿",
)
@click.option("--snapshot", help="快照编号（或快照文件夹），与 --data 二选一")
@click.option(
    "--rosters",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="部门数据：roster_*.csv 文件夹或 XLSX 工作簿",
)
@click.option(
    "--as-of", "as_of", required=True, help="比对日期 YYYY-MM-DD（年龄、参保年度按此计算）"
)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="输出文件夹")
@click.option(
    "--rules",
    default="compare-yunnan-2017",
    show_default=True,
    help="比对规则（policies 下的名称或 YAML 路径）",
)
@click.option("--threshold", type=float, default=0.9, show_default=True, help="概率匹配的接受阈值")
@click.option(
    "--review-low",
    type=float,
    default=0.3,
    show_default=True,
    help="低于阈值、不低于此值的候选进入人工复核清单",
)
@click.option("--exact-only", is_flag=True, help="只按身份证号精确匹配，不做概率匹配")
@click.option(
    "--store", is_flag=True, help="把发现写入系统数据库（网站“部门比对”页面与整改台账使用）"
)
def compare_command(
    data: Path | None,
    snapshot: str | None,
    rosters: Path,
    as_of: str,
    out: Path,
    rules: str,
    threshold: float,
    review_low: float,
    exact_only: bool,
    store: bool,
) -> None:
    """建档立卡数据与部门数据比对，输出 findings.csv 与 summary.json。"""
    from fupin.engine.comparison.matching import MatchSettings
    from fupin.engine.comparison.rosters import import_rosters, load_rosters
    from fupin.engine.comparison.rules import load_rules
    from fupin.engine.comparison.run import compare, write_outputs
    from fupin.engine.dataset import open_dataset, resolve_snapshot
    from fupin.engine.policy import PolicyError
    from fupin.engine.tables import DatasetError

    if (data is None) == (snapshot is None):
        raise click.UsageError("请指定 --data 或 --snapshot 中的一个")
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        raise click.BadParameter(f"日期应为 YYYY-MM-DD：{as_of}", param_hint="--as-of") from None
    if not 0 < review_low <= threshold < 1:
        raise click.BadParameter(
            "应满足 0 < --review-low ≤ --threshold < 1", param_hint="--threshold"
        )
    try:
        rule_set = load_rules(rules)
        source = data if data is not None else resolve_snapshot(str(snapshot))
        roster_set = import_rosters(rosters)
    except (DatasetError, PolicyError) as exc:
        raise click.ClickException(str(exc)) from None
    for warning in roster_set.warnings:
        click.echo(f"警告：{warning}", err=True)
    if not roster_set.ok:
        out.mkdir(parents=True, exist_ok=True)
        problems = out / "problems.csv"
        with problems.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["文件", "行", "列", "值", "问题"])
            writer.writeheader()
            for p in roster_set.problems:
                writer.writerow(p.as_row())
        for p in roster_set.problems[:MAX_PROBLEMS_SHOWN]:
            click.echo(str(p), err=True)
        raise click.ClickException(
            f"部门数据有{len(roster_set.problems)}个问题，未进行比对。问题清单：{problems}"
        )
    try:
        con = open_dataset(source)
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from None
    load_rosters(con, roster_set)
    settings = MatchSettings(
        threshold=threshold, review_low=review_low, probabilistic=not exact_only
    )
    result = compare(con, as_of=day, rules=rule_set, settings=settings)
    paths = write_outputs(result, out)
    summary = result.summary()
    click.echo("部门数据\t行数\t精确匹配\t概率匹配\t待复核\t身份证号无效\t匹配率")
    for name, s in summary["rosters"].items():
        click.echo(
            f"{name}\t{s['rows']}\t{s['exact']}\t{s['probabilistic']}\t{s['review']}\t"
            f"{s['invalid_ids']}\t{s['match_rate']:.2%}"
        )
    click.echo("发现\t数量")
    for finding, count in summary["by_finding"].items():
        click.echo(f"{finding}\t{count}")
    for note in result.skipped:
        click.echo(f"未检查：{note}", err=True)
    if store:
        from fupin.cli.django_setup import setup_django

        setup_django()
        from fupin.comparison.storing import store_findings

        run = store_findings(
            result,
            data_source=str(data) if data is not None else f"snapshot:{snapshot}",
            rosters_source=str(rosters),
        )
        click.echo(f"已保存比对结果（编号 {run.pk}，{run.findings.count()} 条发现）。")
    click.echo(f"共{summary['findings']}条发现，已写入 {paths['findings']}、{paths['summary']}。")


COMMANDS = [compare_command]

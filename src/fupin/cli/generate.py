"""`fupin generate`: a synthetic data set in the standard format, with planted roster errors."""

from __future__ import annotations

import time
from pathlib import Path

import click

from fupin.engine.standard_format import ROSTER_TABLES


@click.command("generate")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="输出文件夹（xlsx 格式时也可为 .xlsx 文件）",
)
@click.option(
    "--counties", default=1, show_default=True, type=click.IntRange(1, 700), help="县的个数"
)
@click.option(
    "--households-per-county",
    default=500,
    show_default=True,
    type=click.IntRange(1),
    help="每县贫困户数",
)
@click.option(
    "--seed", default=0, show_default=True, type=int, help="随机种子：相同种子生成相同文件"
)
@click.option(
    "--province", default="53", show_default=True, help="省级区划代码（两位），如 53 云南"
)
@click.option(
    "--year", default=2019, show_default=True, type=int, help="数据年度（截至当年12月31日）"
)
@click.option(
    "--rosters/--no-rosters", default=True, show_default=True, help="是否生成部门比对数据"
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条和汇总")
def generate_command(
    out: Path,
    counties: int,
    households_per_county: int,
    seed: int,
    province: str,
    year: int,
    rosters: bool,
    fmt: str,
    quiet: bool,
) -> None:
    """生成标准格式的模拟数据（行政区划、贫困户、家庭成员、帮扶措施、村级指标、部门数据），
    并在 planted.csv 中列出有意埋设的比对问题。"""
    from fupin.engine.generate import generate

    started = time.monotonic()
    try:
        summary = generate(
            out,
            counties=counties,
            households_per_county=households_per_county,
            seed=seed,
            province=province,
            rosters=rosters,
            fmt=fmt,
            year=year,
            progress=not quiet,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if quiet:
        return
    seconds = time.monotonic() - started
    click.echo(f"已生成：{summary.out}（用时 {seconds:.1f} 秒）")
    labels = {
        "regions": "行政区划",
        "households": "贫困户",
        "members": "家庭成员",
        "measures": "帮扶措施",
        "villages": "村级指标",
    }
    labels.update({t.name: t.label for t in ROSTER_TABLES})
    for name, count in summary.rows.items():
        click.echo(f"  {labels.get(name, name)}（{name}）：{count} 行")
    total = sum(summary.planted.values())
    detail = "、".join(f"{kind} {n}" for kind, n in summary.planted.items() if n)
    click.echo(f"  埋设问题（planted.csv）：{total} 条（{detail}）")


COMMANDS = [generate_command]

"""Data commands: import, export, freeze, snapshots."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from fupin.cli.django_setup import setup_django

MAX_PROBLEMS_SHOWN = 50


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期应为 YYYY-MM-DD：{value}") from None


@click.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--keep-valid", is_flag=True, help="导入有效的行，把被拒绝的行写入文件夹供修改后重新导入"
)
@click.option(
    "--rejects",
    type=click.Path(path_type=Path),
    help="被拒绝行的输出文件夹（默认 PATH 旁的 *-rejects）",
)
@click.option("--effective-date", help="数据的生效日期 YYYY-MM-DD（默认现在），用于补录历史数据")
@click.option("--quiet", is_flag=True, help="不显示进度条")
def import_command(
    path: Path, keep_valid: bool, rejects: Path | None, effective_date: str | None, quiet: bool
) -> None:
    """导入标准格式的数据集（CSV 文件夹或 XLSX 工作簿）。"""
    setup_django()
    from fupin.engine.tables import DatasetError
    from fupin.registry.importing import OUTCOME_LABELS, import_dataset

    rejects = rejects or path.parent / f"{path.stem}-rejects"
    try:
        result = import_dataset(
            path,
            keep_valid=keep_valid,
            effective=_date(effective_date),
            rejects_dir=rejects,
            progress=not quiet and sys.stderr.isatty(),
        )
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from None
    for warning in result.warnings:
        click.echo(f"警告：{warning}", err=True)
    for problem in result.problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(str(problem), err=True)
    if len(result.problems) > MAX_PROBLEMS_SHOWN:
        click.echo(
            f"……另有{len(result.problems) - MAX_PROBLEMS_SHOWN}个问题，见 {rejects / 'problems.csv'}",
            err=True,
        )
    click.echo("表\t" + "\t".join(OUTCOME_LABELS.values()))
    for table, counts in result.counts.items():
        click.echo(table + "\t" + "\t".join(str(counts[o]) for o in OUTCOME_LABELS))
    if result.problems and not result.committed:
        raise click.ClickException(
            f"发现{len(result.problems)}个问题，未导入任何数据（全部或全不）。"
            f"问题清单：{rejects / 'problems.csv'}；可修正后重新导入，或使用 --keep-valid 只导入有效行。"
        )
    if result.problems:
        click.echo(f"已导入有效行；被拒绝的行已写入 {result.rejects_dir}，修正后可重新导入。")
    else:
        click.echo("导入完成。")


@click.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--region", help="只导出该区划（及其下级）的数据，12位区划代码")
@click.option("--chinese-headers", is_flag=True, help="表头使用中文")
def export_command(path: Path, region: str | None, chinese_headers: bool) -> None:
    """把登记数据导出为标准格式（文件夹或 .xlsx）。"""
    setup_django()
    from fupin.registry.exporting import export_dataset
    from fupin.registry.models import Region

    if region and not Region.objects.filter(code=region).exists():
        raise click.ClickException(f"区划代码 {region} 不存在")
    counts = export_dataset(path, region=region, chinese_headers=chinese_headers)
    for table, n in counts.items():
        click.echo(f"{table}\t{n}")
    click.echo(f"已导出到 {path}")


@click.command("freeze")
@click.option("--as-of", "as_of", required=True, help="冻结日期 YYYY-MM-DD：该日结束时的登记数据")
@click.option("--name", help="快照编号（默认 日期-序号）")
def freeze_command(as_of: str, name: str | None) -> None:
    """把某日的登记数据冻结为不可修改的快照（Parquet + 清单）。"""
    day = _date(as_of)
    setup_django()
    from fupin.registry.freezing import SnapshotError, freeze

    assert day is not None
    try:
        folder = freeze(day, name=name)
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(folder.name)
    click.echo(f"快照已写入 {folder}", err=True)


@click.command("snapshots")
def snapshots_command() -> None:
    """列出所有快照。"""
    from fupin.registry.freezing import list_snapshots

    rows = list_snapshots()
    if not rows:
        click.echo("还没有快照。用 fupin freeze --as-of YYYY-MM-DD 创建。")
        return
    click.echo("快照编号\t数据日期\t创建时间\t户数\t人数")
    for m in rows:
        tables = m["tables"]
        assert isinstance(tables, dict)
        click.echo(
            f"{m['id']}\t{m['as_of']}\t{m['created_at']}\t"
            f"{tables['households']['rows']}\t{tables['members']['rows']}"
        )


COMMANDS = [import_command, export_command, freeze_command, snapshots_command]

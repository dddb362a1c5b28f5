"""Task-list commands: load the seed lists, export a list, show overdue and due-soon tasks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from fupin.cli.django_setup import setup_django

SEED_LISTS = ("seed-000", "seed-002", "seed-004")


@click.group("tasks")
def tasks_group() -> None:
    """任务清单（责任分工）：导入种子清单、导出、逾期与临期任务。"""


@tasks_group.command("load-seeds")
def load_seeds_command() -> None:
    """导入文件中的任务清单和整改方案（可重复运行，结果不变）。"""
    setup_django()
    from fupin.governance.seeds import load_seeds

    counts = load_seeds()
    for key, n in counts.items():
        what = "个问题" if key == "seed-003" else "项任务"
        click.echo(f"{key}：{n}{what}")


@tasks_group.command("export")
@click.option("--list", "list_key", required=True, type=click.Choice(SEED_LISTS), help="任务清单")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export_command(list_key: str, out: Path) -> None:
    """导出任务清单为 CSV：number,text,lead_units,co_units,due。"""
    setup_django()
    from fupin.governance.exports import write_task_csv

    try:
        n = write_task_csv(list_key, out)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    click.echo(f"已导出 {n} 项任务 → {out}")


@tasks_group.command("overdue")
@click.option("--unit", "unit", default=None, help="单位名称（只看该单位牵头或协同的任务）")
@click.option("--date", "on", default=None, help="统计日期 YYYY-MM-DD，默认今天")
@click.option("--days", default=15, show_default=True, help="临期：多少天内到期")
def overdue_command(unit: str | None, on: str | None, days: int) -> None:
    """列出逾期和临期任务。"""
    setup_django()
    from fupin.governance.models import Organisation, Task

    today = dt.date.fromisoformat(on) if on else dt.date.today()
    tasks = Task.objects.all()
    if unit:
        orgs = Organisation.objects.filter(name=unit)
        if not orgs.exists():
            raise click.ClickException(f"没有名为“{unit}”的单位")
        tasks = tasks.filter(units__organisation__in=orgs).distinct()
    for title, qs in (
        ("逾期", tasks.overdue(today)),
        (f"{days}日内到期", tasks.due_soon(today, days)),
    ):
        rows = list(qs.select_related("task_list").order_by("due", "task_list", "position"))
        click.echo(f"{title}：{len(rows)}项")
        for t in rows:
            click.echo(f"  [{t.task_list.key} {t.number}] {t.due_display} {t.text[:40]}")


COMMANDS = [tasks_group]

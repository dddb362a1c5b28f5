"""Site commands: demo (the first README command ends here) and serve."""

from __future__ import annotations

import secrets
from pathlib import Path

import click

from fupin.cli.django_setup import setup_django

DEMO_SEED = 2017
DEMO_YEAR = 2017  # the year of yunnan-2017, the demo county's exit standard


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
def serve_command(host: str, port: int) -> None:
    """启动网站（开发服务器）。"""
    setup_django()
    from django.core.management import call_command

    call_command("runserver", f"{host}:{port}", use_reloader=False)


@click.command("demo")
@click.option("--households", default=2000, show_default=True, help="演示县的贫困户数")
@click.option("--serve/--no-serve", default=True, help="完成后启动网站")
@click.option("--port", default=8000, show_default=True)
def demo_command(households: int, serve: bool, port: int) -> None:
    """生成一个演示县，导入、冻结快照、创建演示账号，然后启动网站。"""
    setup_django()

    from fupin import config
    from fupin.registry.freezing import freeze, list_snapshots
    from fupin.registry.importing import import_dataset
    from fupin.registry.models import Household

    home = config.fupin_home()
    data = home / "demo-data"
    if not Household.objects.exists():
        click.echo(f"生成演示数据：{households} 户 → {data}")
        _generate(data, households)
        click.echo("导入演示数据……")
        result = import_dataset(data, progress=True, effective=_demo_day())
        if not result.committed:
            for problem in result.problems[:20]:
                click.echo(str(problem), err=True)
            raise click.ClickException("演示数据导入失败")
        added = {t: c["added"] for t, c in result.counts.items()}
        click.echo(f"已导入：{added}")
    else:
        click.echo(f"数据库中已有数据（{Household.objects.count()} 户），跳过生成与导入。")
    # The demo data describe the registry at the end of DEMO_YEAR: they are imported as of that
    # day and frozen as the year-end snapshot (年度数据冻结) the evaluation runs on.
    day = _demo_day()
    snapshot = next((s for s in list_snapshots() if s["as_of"] == day.isoformat()), None)
    if snapshot is None:
        folder = freeze(day)
        click.echo(f"已冻结快照 {folder.name}")
        _after_freeze(folder.name, data, day)
    logins = _demo_logins()
    click.echo("")
    click.echo("演示账号（用户名 / 密码）：")
    for username, password, what in logins:
        click.echo(f"  {username} / {password}  {what}")
    if serve:
        click.echo(f"\n网站：http://127.0.0.1:{port}/    后台：http://127.0.0.1:{port}/admin/")
        from django.core.management import call_command

        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)


def _demo_day():  # type: ignore[no-untyped-def]
    from fupin.engine.generate import reference_date

    return reference_date(DEMO_YEAR)


def _after_freeze(snapshot_id: str, data: Path, day) -> None:  # type: ignore[no-untyped-def]
    """Fill the other parts of the site from the demo county: verdicts, tasks, funds, findings."""
    from fupin.web.verdicts import refresh

    counts = refresh(snapshot_id)
    click.echo(f"已按退出标准评估快照 {snapshot_id}：{counts}")

    from fupin.governance.seeds import load_seeds

    click.echo(f"已导入种子任务清单与整改方案：{load_seeds()}")

    from fupin.funds.demo import generate_funds
    from fupin.registry.models import Region

    county = Region.objects.filter(level="县").order_by("code").first()
    if county is not None:
        generate_funds(county.code, seed=DEMO_SEED)
        click.echo(f"已生成{county.name}的项目与资金数据")

    if (data / "roster_medical.csv").exists():
        _compare(snapshot_id, data, day)


def _compare(snapshot_id: str, data: Path, day) -> None:  # type: ignore[no-untyped-def]
    from fupin.comparison.storing import store_findings
    from fupin.engine.comparison.matching import MatchSettings
    from fupin.engine.comparison.rosters import import_rosters, load_rosters
    from fupin.engine.comparison.rules import load_rules
    from fupin.engine.comparison.run import compare
    from fupin.engine.dataset import open_dataset, resolve_snapshot

    con = open_dataset(resolve_snapshot(snapshot_id))
    load_rosters(con, import_rosters(data))
    result = compare(
        con, as_of=day, rules=load_rules("compare-yunnan-2017"), settings=MatchSettings()
    )
    run = store_findings(result, data_source=f"snapshot:{snapshot_id}", rosters_source=str(data))
    click.echo(f"已与部门数据比对：{run.findings.count()} 条发现")


def _generate(out: Path, households: int) -> None:
    from fupin.engine import generate

    generate.generate(
        out,
        counties=1,
        households_per_county=households,
        seed=DEMO_SEED,
        year=DEMO_YEAR,
        progress=True,
    )


def _demo_logins() -> list[tuple[str, str, str]]:
    """The demo logins: made once, with a password saved under FUPIN_HOME so reruns show it."""
    from django.contrib.auth import get_user_model

    from fupin import config

    secret = config.fupin_home() / "demo-password.txt"
    if not secret.exists():
        secret.write_text(f"Fupin-{secrets.token_hex(4)}!", "utf-8")
    password = secret.read_text("utf-8").strip()
    user_model = get_user_model()
    if not user_model.objects.filter(username="admin").exists():
        user_model.objects.create_superuser("admin", "", password)
    logins = [("admin", password, "系统管理员（后台 /admin/）")]
    logins += _role_logins(password)
    return logins


def _role_logins(password: str) -> list[tuple[str, str, str]]:
    """Role users of the site, when the site's accounts module is installed."""
    try:
        from fupin.web.accounts import create_user
    except ImportError:
        return []
    from fupin.registry.models import Region

    county = Region.objects.filter(level="县").order_by("code").first()
    village = Region.objects.filter(level="村").order_by("code").first()
    if county is None or village is None:
        return []
    wanted = [
        ("clerk", "数据录入员", village.code, f"{village.name}数据录入员"),
        ("reviewer", "审核员", county.code, f"{county.name}审核员"),
        ("leader", "领导", county.code, f"{county.name}领导"),
    ]
    from django.contrib.auth import get_user_model

    out = []
    for username, role, region, what in wanted:
        if not get_user_model().objects.filter(username=username).exists():
            create_user(username, password, role, region)
        out.append((username, password, what))
    return out


COMMANDS = [serve_command, demo_command]

"""Site commands: demo (the first README command ends here) and serve."""

from __future__ import annotations

import secrets
from pathlib import Path

import click

from fupin.cli.django_setup import setup_django

DEMO_SEED = 2017


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
    from django.utils import timezone

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
        result = import_dataset(data, progress=True)
        if not result.committed:
            for problem in result.problems[:20]:
                click.echo(str(problem), err=True)
            raise click.ClickException("演示数据导入失败")
        added = {t: c["added"] for t, c in result.counts.items()}
        click.echo(f"已导入：{added}")
    else:
        click.echo(f"数据库中已有数据（{Household.objects.count()} 户），跳过生成与导入。")
    today = timezone.localdate()
    if not any(s["as_of"] == today.isoformat() for s in list_snapshots()):
        folder = freeze(today)
        click.echo(f"已冻结快照 {folder.name}")
    logins = _demo_logins()
    click.echo("")
    click.echo("演示账号（用户名 / 密码）：")
    for username, password, what in logins:
        click.echo(f"  {username} / {password}  {what}")
    if serve:
        click.echo(f"\n网站：http://127.0.0.1:{port}/    后台：http://127.0.0.1:{port}/admin/")
        from django.core.management import call_command

        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)


def _generate(out: Path, households: int) -> None:
    from fupin.engine import generate

    generate.generate(
        out, counties=1, households_per_county=households, seed=DEMO_SEED, progress=True
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

"""`fupin users`: create site users with a role and a region, and API tokens."""

from __future__ import annotations

import secrets

import click

from fupin.cli.django_setup import setup_django


@click.group("users")
def users_group() -> None:
    """网站用户：创建账号、签发接口令牌。"""


@users_group.command("create")
@click.option("--username", required=True, help="用户名")
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    help="角色：数据录入员、审核员、领导、评估员、系统管理员（可重复）",
)
@click.option("--region", required=True, help="所属区划代码（12位，任意级别）")
@click.option("--unit", default="", help="单位")
@click.option("--password", default=None, help="密码；不给则随机生成并显示")
def create_command(
    username: str, roles: tuple[str, ...], region: str, unit: str, password: str | None
) -> None:
    """创建网站用户。"""
    setup_django()
    from fupin.web.accounts import AccountError, create_user

    shown = password is None
    if password is None:
        password = f"Fp-{secrets.token_urlsafe(9)}7a"
    try:
        create_user(username, password, list(roles), region, unit)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已创建用户 {username}（{'、'.join(roles)}，区划 {region}）")
    if shown:
        click.echo(f"密码：{password}")


@users_group.command("token")
@click.option("--username", required=True)
@click.option("--name", default="命令行创建", help="令牌名称")
def token_command(username: str, name: str) -> None:
    """为用户签发一个接口令牌（只显示一次）。"""
    setup_django()
    from django.contrib.auth import get_user_model

    from fupin.web.api import issue_token

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise click.ClickException(f"用户 {username} 不存在")
    click.echo(issue_token(user, name))


COMMANDS = [users_group]

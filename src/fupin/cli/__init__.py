"""The `fupin` command. Each group of sub-commands lives in its own module here."""

from __future__ import annotations

import sys

import click

from fupin import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fupin")
def cli() -> None:
    """扶贫 · 精准扶贫管理系统 (fupin)."""


def _register() -> None:
    # Imported here so that `fupin --help` stays fast and modules can import `cli`.
    from fupin.cli import (
        assess,
        compare,
        data,
        evaluate,
        funds,
        generate,
        governance,
        monitoring,
        site,
        tasks,
        users,
    )

    for module in (
        data,
        site,
        tasks,
        governance,
        evaluate,
        assess,
        generate,
        users,
        funds,
        compare,
        monitoring,
    ):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    try:
        cli(prog_name="fupin")
    except Exception as exc:
        # A machine without an embeddable Chinese font is a set-up problem, not a bug: say
        # which package to install instead of printing a traceback. The PDF module is only
        # looked up, never imported here, so commands that make no PDF stay light.
        reports_pdf = sys.modules.get("fupin.reports.pdf")
        if reports_pdf is None or not isinstance(exc, reports_pdf.FontMissing):
            raise
        click.echo(f"错误：{exc}", err=True)
        sys.exit(1)

"""`fupin monitor`: return-to-poverty monitoring over a data set, a snapshot or the registry."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from fupin.cli.django_setup import setup_django


def _date(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期应为 YYYY-MM-DD：{value}") from None


def _connection(data: str | None, snapshot: str | None):
    from fupin.engine.dataset import open_dataset, resolve_snapshot
    from fupin.engine.tables import DatasetError

    if bool(data) == bool(snapshot):
        raise click.UsageError("请给出 --data 或 --snapshot 之一")
    try:
        return open_dataset(resolve_snapshot(snapshot) if snapshot else str(data))
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from None


def _policy(ref: str):
    from fupin.engine.monitoring.policy import MonitoringPolicyError, load_monitoring_policy

    try:
        return load_monitoring_policy(ref)
    except MonitoringPolicyError as exc:
        raise click.ClickException(str(exc)) from None


_SOURCE_OPTIONS = [
    click.option("--data", help="标准格式数据集（CSV 文件夹或 XLSX 工作簿）"),
    click.option("--snapshot", help="快照编号或快照文件夹"),
    click.option("--region", default="", help="只看该区划代码之下"),
    click.option("--as-of", "as_of", help="评估日期 YYYY-MM-DD（默认今天）"),
    click.option("--policy", "policy_ref", default="monitoring-2018", show_default=True),
    click.option("--json", "as_json", is_flag=True, help="输出 JSON"),
]


def _source_options(f):
    for option in reversed(_SOURCE_OPTIONS):
        f = option(f)
    return f


@click.group("monitor")
def monitor() -> None:
    """返贫监测：按规则筛查监测对象、脱贫稳定性、返贫率。"""


@monitor.command("scan")
@_source_options
@click.option(
    "--baseline",
    help="基期数据集或快照（只列出基期以来新出现的风险，如新患大病、新发生的收入下降）",
)
@click.option("--registry", is_flag=True, help="在登记系统中筛查并列为监测对象（写入数据库）")
def scan_command(data, snapshot, region, as_of, policy_ref, as_json, baseline, registry) -> None:
    """按监测规则筛查已脱贫户，列出每户触发的规则。"""
    day = _date(as_of)
    if registry:
        setup_django()
        from fupin.monitoring.actions import do_scan_registry

        result = do_scan_registry(region, acting_user=None, as_of=day)
        click.echo(
            f"命中{result.hits}条，新增监测对象{len(result.new_cases)}户，"
            f"新增风险{result.new_risks}条，跳过{result.skipped}条"
        )
        return
    from fupin.engine.monitoring.scan import scan

    base = None
    if baseline:
        from fupin.engine.dataset import is_snapshot

        path = baseline
        base = (
            _connection(None, path)
            if not Path(path).exists() or is_snapshot(Path(path))
            else _connection(path, None)
        )
    hits = scan(
        _connection(data, snapshot),
        _policy(policy_ref),
        as_of=day,
        region=region or None,
        baseline=base,
    )
    if as_json:
        out = [
            {
                "household_id": h.household_id,
                "region_code": h.region_code,
                "rule": h.rule_id,
                "risk_type": h.risk_type,
                "explanation": h.explanation(),
            }
            for h in hits
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    for h in hits:
        click.echo(f"{h.household_id}\t{h.region_code}\t{h.risk_type}\t{h.explanation()}")
    households = len({h.household_id for h in hits})
    click.echo(f"共{households}户、{len(hits)}条风险", err=True)


@monitor.command("stability")
@_source_options
@click.option("--limit", default=20, show_default=True, help="显示最不稳定的前若干户")
def stability_command(data, snapshot, region, as_of, policy_ref, as_json, limit) -> None:
    """已脱贫户的脱贫稳定性得分（从低到高）及各因素得分。"""
    from fupin.engine.monitoring.scan import stability_scores

    scores = stability_scores(
        _connection(data, snapshot), _policy(policy_ref), as_of=_date(as_of), region=region or None
    )[:limit]
    if as_json:
        out = [
            {
                "household_id": s.household_id,
                "score": s.score,
                "drivers": {d.id: d.points for d in s.drivers},
            }
            for s in scores
        ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    for s in scores:
        parts = "；".join(f"{d.label}{d.points:g}/{d.weight:g}" for d in s.drivers)
        click.echo(f"{s.household_id}\t{s.score:g}\t{parts}")


@monitor.command("rate")
@_source_options
def rate_command(data, snapshot, region, as_of, policy_ref, as_json) -> None:
    """返贫率（口径见策略参数 return_rate_unit）。"""
    from fupin.engine.monitoring.rates import return_to_poverty_rate
    from fupin.engine.monitoring.scan import exit_counts

    policy = _policy(policy_ref)
    counts = exit_counts(_connection(data, snapshot), region=region or None)
    rate = return_to_poverty_rate(
        exited_households=counts.exited_households,
        exited_people=counts.exited_people,
        returned_households=counts.returned_households,
        returned_people=counts.returned_people,
        unit=str(policy.value("return_rate_unit")),
    )
    if as_json:
        out = {
            "unit": rate.unit,
            "returned": rate.returned,
            "ever_exited": rate.ever_exited,
            "percent": rate.percent,
        }
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    click.echo(str(rate))


COMMANDS = [monitor]

"""fupin evaluate: the exit standard of a policy over a data set or a snapshot."""

from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path

import click


def _as_of(ctx: click.Context, param: click.Parameter, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期“{value}”应为 YYYY-MM-DD 格式") from None


def _read_facts(path: Path) -> dict[str, dict[str, float]]:
    """county_facts CSV: region_code and any of the county fact columns (percent values)."""
    from fupin.engine.policy.scopes import COUNTY_FACTS

    known = {f.name for f in COUNTY_FACTS}
    labels = {f.label: f.name for f in COUNTY_FACTS}
    facts: dict[str, dict[str, float]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            code = (row.get("region_code") or row.get("区划代码") or "").strip()
            if not code:
                raise click.ClickException(
                    f"{path.name} 第{number}行：缺少 region_code（区划代码）"
                )
            values: dict[str, float] = {}
            for key, raw in row.items():
                name = labels.get(key, key)
                if name not in known or name == "region_code" or not (raw or "").strip():
                    continue
                try:
                    values[name] = float(raw.strip().rstrip("%"))
                except ValueError:
                    raise click.ClickException(
                        f"{path.name} 第{number}行“{key}”列，值“{raw}”：应为数字"
                    ) from None
            facts[code] = values
    return facts


@click.command("evaluate")
@click.option(
    "--policy", "policy_ref", required=True, help="策略名（如 yunnan-2017）或策略文件路径"
)
@click.option(
    "--data",
    "data",
    type=click.Path(exists=True, path_type=Path),
    help="标准格式数据（CSV文件夹或XLSX工作簿）",
)
@click.option("--snapshot", help="快照编号（FUPIN_HOME/snapshots 下）或快照文件夹")
@click.option(
    "--as-of", "as_of", required=True, callback=_as_of, help="评估日期 YYYY-MM-DD（计算年龄等）"
)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="结果输出文件夹")
@click.option(
    "--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True
)
@click.option(
    "--county-facts",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="县级统计与评估数据CSV（region_code、rural_income_growth、wrong_exit_rate 等）",
)
def evaluate_command(
    policy_ref: str,
    data: Path | None,
    snapshot: str | None,
    as_of: dt.date,
    out: Path,
    engine: str,
    county_facts: Path | None,
) -> None:
    """按退出标准评估每一户、每个村、每个县，输出达标情况和“缺什么”。"""
    from fupin.engine.dataset import DatasetError
    from fupin.engine.exit_evaluation import evaluate
    from fupin.engine.policy import PolicyError

    if (data is None) == (snapshot is None):
        raise click.UsageError("请指定 --data 或 --snapshot 之一")
    started = time.perf_counter()
    try:
        facts = _read_facts(county_facts) if county_facts else None
        source = data if data is not None else snapshot
        assert source is not None
        if snapshot is not None:
            from fupin.engine.dataset import resolve_snapshot

            source = resolve_snapshot(snapshot)
        results = evaluate(source, policy_ref, as_of, engine=engine, county_facts=facts)
        if snapshot is not None:
            results.source = f"快照 {snapshot}"  # the summary, built when written, says so
        files = results.write(out)
    except (PolicyError, DatasetError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if engine == "spark":
            from fupin.engine.spark_executor import stop_spark_session

            stop_spark_session()
    counts = results.summary["households"]["by_verdict"]
    wrong = results.summary["possible_wrong_exits"]["count"]
    click.echo(
        f"评估完成（{results.policy.name}，{engine}，{time.perf_counter() - started:.1f}秒）："
        f"{results.households.num_rows:,}户，"
        + "，".join(f"{k}{v:,}户" for k, v in counts.items())
        + f"；疑似错退{wrong:,}户；{results.villages.num_rows:,}个村"
    )
    for path in files.values():
        click.echo(f"  {path}")


COMMANDS = [evaluate_command]

"""Assessment commands: `fupin sample` draws a sampling plan, `fupin assess` turns filled-in
survey sheets into 三率一度 with confidence intervals, exit decisions and a county report,
`fupin score` computes the 100-point assessment of cities."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

DEFAULT_POLICY = "assessment-yunnan-2017"


def _open_data(data: Path | None, snapshot: str | None) -> tuple[Any, str]:
    from fupin.engine.dataset import open_dataset, resolve_snapshot
    from fupin.engine.tables import DatasetError

    if data is not None and snapshot is not None:
        raise click.UsageError("--data 与 --snapshot 只能选一个")
    try:
        if snapshot is not None:
            folder = resolve_snapshot(snapshot)
            return open_dataset(folder), f"快照 {snapshot}"
        if data is not None:
            return open_dataset(data), f"数据 {data}"
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from None
    return None, ""


def _policy(ref: str) -> Any:
    from fupin.engine.assessment.decisions import AssessmentPolicyError, load_assessment_policy

    try:
        return load_assessment_policy(ref)
    except AssessmentPolicyError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("sample")
@click.option("--snapshot", help="数据快照编号（或快照文件夹）")
@click.option(
    "--data",
    type=click.Path(exists=True, path_type=Path),
    help="标准格式数据集（CSV 文件夹或 XLSX）",
)
@click.option("--county", required=True, help="县的12位区划代码（或前6位）")
@click.option(
    "--households", type=click.IntRange(min=1), help="抽样户数（默认按策略，每县不低于1000户）"
)
@click.option("--seed", type=int, required=True, help="随机种子，同一种子得到同一方案")
@click.option("--policy", default=DEFAULT_POLICY, show_default=True, help="评估策略")
@click.option("--as-of", "as_of", help="计算年龄（独居老人）的参考日期 YYYY-MM-DD（默认按策略）")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="抽样方案 XLSX")
def sample_command(
    snapshot: str | None,
    data: Path | None,
    county: str,
    households: int | None,
    seed: int,
    policy: str,
    as_of: str | None,
    out: Path,
) -> None:
    """按考核评估的做法抽取调查户，输出入户调查表（XLSX）。"""
    from fupin.engine.assessment.reports import write_plan_xlsx
    from fupin.engine.assessment.sampling import SamplingError, draw_plan, load_frame

    if snapshot is None and data is None:
        raise click.UsageError("请用 --snapshot 或 --data 指定抽样所用的数据")
    code = county.strip()
    if not code.isdigit() or len(code) not in (6, 12):
        raise click.BadParameter(f"县区划代码应为6位或12位数字：{county}", param_hint="--county")
    code = code[:6] + "000000"
    pol = _policy(policy)
    try:
        params = pol.sampling_params(households=households)
    except SamplingError as exc:
        raise click.ClickException(str(exc)) from None
    ref = as_of or str(
        pol.sampling.get("reference_date") or f"{pol.year or dt.date.today().year}-12-31"
    )
    try:
        reference = dt.date.fromisoformat(ref)
    except ValueError:
        raise click.BadParameter(f"日期应为 YYYY-MM-DD：{ref}", param_hint="--as-of") from None
    con, label = _open_data(data, snapshot)
    try:
        frame = load_frame(con, code, params, reference)
        plan = draw_plan(frame, params, seed, snapshot=snapshot or str(data))
    except SamplingError as exc:
        raise click.ClickException(str(exc)) from None
    write_plan_xlsx(plan, out)
    registered = int(plan.units["registered"].sum())
    click.echo(
        f"已生成抽样方案 {out}：县 {code}（{label}），抽中 {plan.villages.height} 个村、"
        f"{plan.units.height} 户（建档立卡户 {registered} 户，非建档立卡户待抽名额 "
        f"{plan.units.height - registered} 户），随机种子 {seed}"
    )
    weak = int((plan.units["weak"] != "").sum())
    remote = int(plan.villages["remote"].sum()) if plan.villages.height else 0
    click.echo(f"其中重点群体户 {weak} 户，边远村 {remote} 个；入样概率和权重见表中各列")


@click.command("assess")
@click.option(
    "--survey",
    "survey_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="调查结果：survey.csv、含 survey 工作表的 XLSX（如填好的抽样方案）或文件夹",
)
@click.option(
    "--plan",
    "plan_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="抽样方案 XLSX（每县一个，可给多个）；不给时用调查结果中的权重、层、群列",
)
@click.option(
    "--data",
    type=click.Path(exists=True, path_type=Path),
    help="建档立卡数据集（用于综合贫困发生率）",
)
@click.option("--snapshot", help="建档立卡数据快照（用于综合贫困发生率）")
@click.option(
    "--policy",
    default=DEFAULT_POLICY,
    show_default=True,
    help="评估策略，如 assessment-yunnan-2017、assessment-anhui-2018",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="输出文件夹")
@click.option("--no-pdf", is_flag=True, help="不生成 PDF 报告")
def assess_command(
    survey_path: Path,
    plan_paths: tuple[Path, ...],
    data: Path | None,
    snapshot: str | None,
    policy: str,
    out: Path,
    no_pdf: bool,
) -> None:
    """由调查结果计算三率一度（含95%置信区间）、县级退出判定和评估报告。"""
    from fupin.engine.assessment.estimation import EstimationError
    from fupin.engine.assessment.outputs import county_report, write_outputs
    from fupin.engine.assessment.reports import read_plan
    from fupin.engine.assessment.run import assess_survey
    from fupin.engine.assessment.survey import SurveyError, merge_plans, read_survey

    pol = _policy(policy)
    design = None
    try:
        survey = read_survey(survey_path)
        if plan_paths:
            design = merge_plans([read_plan(p) for p in plan_paths])
    except SurveyError as exc:
        raise click.ClickException(str(exc)) from None
    for warning in survey.warnings:
        click.echo(f"警告：{warning}", err=True)
    con, data_label = _open_data(data, snapshot)
    try:
        result = assess_survey(
            survey,
            pol,
            design=design,
            con=con,
            plan_label="、".join(p.name for p in plan_paths),
        )
    except (SurveyError, EstimationError) as exc:
        raise click.ClickException(str(exc)) from None
    report = county_report(result, pol, con=con, survey_source=survey.source, data_label=data_label)
    write_outputs(report, out, pdf=not no_pdf)
    estimates, decisions, village_decisions = result.estimates, result.decisions, report.villages
    refused = [v for v in village_decisions if v.verdict == "不予出列"]
    if refused:
        estimates.notes.append(f"抽查村中{len(refused)}个村不予出列，见 villages.csv")
    for d in decisions:
        click.echo(f"{d.region_code}：{d.verdict}")
        for reason in d.reasons:
            click.echo(f"  {reason}")
    for note in estimates.notes:
        if "未计算" in note or "未提供" in note:
            click.echo(f"说明：{note}")
    click.echo(f"结果已写入 {out}")


@click.command("score")
@click.option("--policy", default="scoring-hebei-2018", show_default=True, help="评分策略")
@click.option(
    "--indicators",
    "indicator_files",
    multiple=True,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="指标数据 CSV（区划代码、指标、值、来源），可给多个",
)
@click.option(
    "--rates",
    "rates_files",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="fupin assess 输出的 rates.csv，可给多个",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="输出文件夹")
def score_command(
    policy: str, indicator_files: tuple[Path, ...], rates_files: tuple[Path, ...], out: Path
) -> None:
    """按百分制考核办法给各市评分，输出每市评分表和问题清单。"""
    from fupin.engine.assessment.scoring import (
        ScoringError,
        load_scoring_policy,
        read_facts,
        score_all,
        write_scores,
    )

    try:
        pol = load_scoring_policy(policy)
        facts = {}
        for path in rates_files:
            facts.update(read_facts(path, source=f"评估结果 {path.name}"))
        for path in indicator_files:
            facts.update(read_facts(path))
    except ScoringError as exc:
        raise click.ClickException(str(exc)) from None
    scores = score_all(pol, facts)
    if not scores:
        raise click.ClickException("指标数据中没有市级或县级区划代码，无法评分")
    out.mkdir(parents=True, exist_ok=True)
    write_scores(out / "scores.xlsx", out / "scores.csv", pol, scores)
    for s in scores:
        problems = "；".join(p.name for p in s.problems) or "无"
        click.echo(f"{s.region_code}：{s.total:.2f}分（发现问题：{problems}）")
    click.echo(f"评分表已写入 {out}")


COMMANDS = [sample_command, assess_command, score_command]

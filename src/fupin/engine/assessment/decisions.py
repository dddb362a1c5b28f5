"""County (and sampled-village) exit decisions from the estimated rates and an assessment
policy file (`policies/assessment-*.yaml`).

Each rule compares one indicator with a threshold. A rule is 达标 when the point estimate
meets it, 达标但存在风险 when it does but the confidence interval reaches across the threshold,
不达标 when the estimate misses it, 无法判定 when the indicator could not be estimated. The
county verdict is 不予退出 naming every failed rule whose consequence is 不予退出 (seed 001
四.(三): a county whose incidence is above 2 % is refused directly); otherwise failed rules with
the consequence 专项整改 make it 符合退出条件（需专项整改）.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fupin.engine.assessment.estimation import (
    INDICATOR_NAMES,
    Estimates,
    Population,
    RateEstimate,
    RateParams,
)
from fupin.engine.assessment.sampling import SamplingParams
from fupin.engine.yaml_files import load_yaml

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
OPERATOR_TEXT = {"<": "低于", "<=": "不高于", ">": "高于", ">=": "不低于"}
RULE_INDICATORS = (*INDICATOR_NAMES, "registry_incidence")
INDICATOR_LABELS = {**INDICATOR_NAMES, "registry_incidence": "系统贫困发生率"}

PASS = "达标"
RISK = "达标但存在风险"
FAIL = "不达标"
UNKNOWN = "无法判定"

REFUSE = "不予退出"
RECTIFY = "专项整改"


class AssessmentPolicyError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    indicator: str
    operator: str
    threshold: float
    consequence: str
    source: str

    def describe(self) -> str:
        return (
            f"{INDICATOR_LABELS[self.indicator]}{OPERATOR_TEXT[self.operator]}{self.threshold:.0%}"
        )


@dataclass(frozen=True)
class AssessmentPolicy:
    id: str
    name: str
    file: Path
    year: int | None
    exit_standard: str
    sampling: dict[str, Any]
    rates: RateParams
    county_rules: tuple[Rule, ...]
    village_rules: tuple[Rule, ...]
    sources: dict[str, str] = field(default_factory=dict)  # parameter -> its citation
    notes: tuple[str, ...] = ()

    def sampling_params(self, **overrides: Any) -> SamplingParams:
        return SamplingParams.from_policy(self.sampling, **overrides)


def policy_file(ref: str | Path) -> Path:
    path = Path(ref)
    if path.suffix in (".yaml", ".yml"):
        if path.is_file():
            return path
        raise AssessmentPolicyError(f"策略文件不存在：{path}")
    for name in (f"assessment-{ref}", str(ref)):
        candidate = POLICIES_DIR / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    known = "、".join(sorted(p.stem for p in POLICIES_DIR.glob("assessment-*.yaml")))
    raise AssessmentPolicyError(f"找不到评估策略“{ref}”（可用：{known}）")


def _cite(raw: Any) -> str:
    if not isinstance(raw, Mapping):
        return ""
    text = f"{raw.get('seed', '')} 第{raw.get('item', '')}项"
    return text + (f"（{raw['note']}）" if raw.get("note") else "")


def _values(section: Any, where: str, file: str) -> tuple[dict[str, Any], dict[str, str]]:
    if section is None:
        return {}, {}
    if not isinstance(section, Mapping):
        raise AssessmentPolicyError(f"策略文件 {file}：{where} 应为映射")
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, raw in section.items():
        if isinstance(raw, Mapping) and "value" in raw:
            values[key] = raw["value"]
            sources[f"{where}.{key}"] = _cite(raw.get("source"))
        else:
            values[key] = raw
    return values, sources


def _rules(raw: Any, where: str, file: str) -> tuple[Rule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise AssessmentPolicyError(f"策略文件 {file}：{where} 应为列表")
    out: list[Rule] = []
    for i, item in enumerate(raw):
        at = f"策略文件 {file}：{where}[{i}]"
        if not isinstance(item, Mapping):
            raise AssessmentPolicyError(f"{at} 应为映射")
        for key in ("id", "name", "indicator", "operator", "threshold", "consequence", "source"):
            if key not in item:
                raise AssessmentPolicyError(f"{at} 缺少“{key}”")
        if item["indicator"] not in RULE_INDICATORS:
            raise AssessmentPolicyError(
                f"{at}：指标“{item['indicator']}”未知，应为 {'、'.join(RULE_INDICATORS)}"
            )
        if item["operator"] not in OPERATORS:
            raise AssessmentPolicyError(f"{at}：比较符“{item['operator']}”应为 < <= > >=")
        threshold = item["threshold"]
        if not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
            raise AssessmentPolicyError(f"{at}：阈值应为0到1之间的比例（2%写作0.02）")
        out.append(
            Rule(
                str(item["id"]),
                str(item["name"]),
                str(item["indicator"]),
                str(item["operator"]),
                float(threshold),
                str(item["consequence"]),
                _cite(item["source"]),
            )
        )
    return tuple(out)


def load_assessment_policy(ref: str | Path) -> AssessmentPolicy:
    path = policy_file(ref)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AssessmentPolicyError(f"策略文件 {path.name}：无法读取（{exc}）") from None
    if not isinstance(data, Mapping) or data.get("kind") != "assessment":
        raise AssessmentPolicyError(
            f"策略文件 {path.name} 不是评估策略（应含 kind: assessment），评估策略有："
            + "、".join(sorted(p.stem for p in POLICIES_DIR.glob("assessment-*.yaml")))
        )
    sampling, s1 = _values(data.get("sampling"), "sampling", path.name)
    rates, s2 = _values(data.get("rates"), "rates", path.name)
    try:
        rate_params = RateParams.from_policy(rates)
        SamplingParams.from_policy(sampling)
    except (ValueError, TypeError) as exc:
        raise AssessmentPolicyError(f"策略文件 {path.name}：{exc}") from None
    return AssessmentPolicy(
        id=str(data.get("id", path.stem)),
        name=str(data.get("name", path.stem)),
        file=path,
        year=data.get("year"),
        exit_standard=str(data.get("exit_standard", "")),
        sampling=sampling,
        rates=rate_params,
        county_rules=_rules(data.get("county_rules"), "county_rules", path.name),
        village_rules=_rules(data.get("village_rules"), "village_rules", path.name),
        sources={**s1, **s2},
        notes=tuple(str(n) for n in data.get("notes", []) or []),
    )


# --- decisions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    estimate: RateEstimate | None
    result: str
    explanation: str


@dataclass(frozen=True)
class Decision:
    region_code: str
    verdict: str
    reasons: tuple[str, ...]
    rules: tuple[RuleResult, ...]


def judge_rule(rule: Rule, estimate: RateEstimate | None, why_missing: str = "") -> RuleResult:
    if estimate is None:
        return RuleResult(
            rule, None, UNKNOWN, why_missing or f"没有{INDICATOR_LABELS[rule.indicator]}的估计值"
        )
    compare = OPERATORS[rule.operator]
    ok = compare(estimate.estimate, rule.threshold)
    if estimate.ci_method == "系统数据":
        interval = f"{estimate.estimate:.2%}（系统数据：{estimate.note}）"
    else:
        interval = (
            f"{estimate.estimate:.2%}（95%置信区间 {estimate.ci_low:.2%}–{estimate.ci_high:.2%}）"
        )
    if not ok:
        straddles = compare(estimate.ci_low, rule.threshold) or compare(
            estimate.ci_high, rule.threshold
        )
        return RuleResult(
            rule,
            estimate,
            FAIL,
            f"{INDICATOR_LABELS[rule.indicator]}{interval}，未达到“{rule.name}”"
            + ("（置信区间跨越阈值，按点估计判定）" if straddles else ""),
        )
    # the interval reaches the other side of the threshold: the estimate passes, the data do not
    # rule out that the true rate fails
    at_risk = not (
        compare(estimate.ci_low, rule.threshold) and compare(estimate.ci_high, rule.threshold)
    )
    if at_risk:
        return RuleResult(
            rule,
            estimate,
            RISK,
            f"{INDICATOR_LABELS[rule.indicator]}{interval}，点估计达标，但置信区间跨越阈值{rule.threshold:.0%}",
        )
    return RuleResult(rule, estimate, PASS, f"{INDICATOR_LABELS[rule.indicator]}{interval}，达标")


def registry_incidence(code: str, pop: Population) -> RateEstimate:
    value = pop.registered_not_exited / pop.rural_population
    return RateEstimate(
        code,
        "county",
        "registry_incidence",
        value,
        value,
        value,
        0.0,
        None,
        0,
        0,
        "系统数据",
        note=f"未脱贫人口{pop.registered_not_exited}÷农村人口{pop.rural_population}",
    )


def decide_county(
    code: str,
    rules: tuple[Rule, ...],
    estimates: Estimates,
    populations: Mapping[str, Population] | None = None,
) -> Decision:
    results: list[RuleResult] = []
    for rule in rules:
        if rule.indicator == "registry_incidence":
            pop = (populations or {}).get(code)
            est = registry_incidence(code, pop) if pop and pop.rural_population > 0 else None
            results.append(judge_rule(rule, est, "未提供建档立卡数据，无法计算系统贫困发生率"))
            continue
        est = estimates.get(code, rule.indicator)
        why = ""
        if est is None and rule.indicator == "comprehensive_incidence":
            why = "未提供建档立卡人口数据，综合贫困发生率未计算"
        results.append(judge_rule(rule, est, why))
    refused = [r for r in results if r.result == FAIL and r.rule.consequence == REFUSE]
    rectify = [r for r in results if r.result == FAIL and r.rule.consequence != REFUSE]
    unknown = [r for r in results if r.result == UNKNOWN]
    risky = [r for r in results if r.result == RISK]
    if refused:
        verdict = REFUSE
        reasons = [f"{r.rule.name}未达到（{r.rule.source}）：{r.explanation}" for r in refused]
    elif unknown and any(r.rule.consequence == REFUSE for r in unknown):
        verdict = "无法判定"
        reasons = [f"{r.rule.name}：{r.explanation}" for r in unknown]
    elif rectify:
        verdict = (
            f"符合退出条件（需{RECTIFY}）"
            if all(r.rule.consequence == RECTIFY for r in rectify)
            else "需整改"
        )
        reasons = [
            f"{r.rule.name}未达到，需{r.rule.consequence}（{r.rule.source}）" for r in rectify
        ]
    elif risky:
        verdict = f"符合退出条件（{RISK}）"
        reasons = [r.explanation for r in risky]
    else:
        verdict = "符合退出条件"
        reasons = []
    if unknown and verdict != "无法判定":
        reasons += [f"{r.rule.name}：{r.explanation}" for r in unknown]
    return Decision(code, verdict, tuple(reasons), tuple(results))


def decide(
    policy: AssessmentPolicy,
    estimates: Estimates,
    populations: Mapping[str, Population] | None = None,
) -> list[Decision]:
    """One decision per county in the estimates."""
    return [
        decide_county(code, policy.county_rules, estimates, populations)
        for code in estimates.regions("county")
    ]


# --- villages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VillageDecision:
    region_code: str
    name: str
    poverty_flag: str
    standard_verdict: str  # the exit-standard engine's verdict, or 未评估
    standard_gaps: str
    rules: tuple[RuleResult, ...]
    verdict: str
    reasons: tuple[str, ...]


def decide_villages(
    policy: AssessmentPolicy,
    village_estimates: Estimates,
    standard: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[VillageDecision]:
    """Exit of every sampled village: the exit-standard engine's village verdict (seed 000
    items 7–16, from `fupin.engine.exit_evaluation`) plus the village rules of the assessment
    policy judged on the village's own sampled findings (item 7(2))."""
    out: list[VillageDecision] = []
    for code in village_estimates.regions("village"):
        row = (standard or {}).get(code, {})
        std = str(row.get("verdict") or "未评估")
        gaps = str(row.get("gaps") or "")
        results = []
        for rule in policy.village_rules:
            est = village_estimates.get(code, rule.indicator)
            why = (
                "未提供该村的建档立卡人口数据"
                if rule.indicator == "comprehensive_incidence"
                else ""
            )
            results.append(judge_rule(rule, est, why))
        failed = [r for r in results if r.result == FAIL]
        reasons: list[str] = []
        if std == "未达标":
            reasons.append(f"村级退出标准未达标：{gaps}")
        reasons += [f"{r.rule.name}未达到（{r.rule.source}）：{r.explanation}" for r in failed]
        if str(row.get("poverty_flag") or "") == "非贫困村":
            verdict = "非贫困村，不涉及出列"
            reasons = []
        elif reasons:
            verdict = "不予出列"
        elif std in ("未评估", "数据不全") or any(r.result == UNKNOWN for r in results):
            verdict = "无法判定"
            if std in ("未评估", "数据不全"):
                reasons.append(f"村级退出标准：{std}" + (f"（{gaps}）" if gaps else ""))
            reasons += [f"{r.rule.name}：{r.explanation}" for r in results if r.result == UNKNOWN]
        elif any(r.result == RISK for r in results):
            verdict = f"符合出列条件（{RISK}）"
            reasons = [r.explanation for r in results if r.result == RISK]
        else:
            verdict = "符合出列条件"
        out.append(
            VillageDecision(
                code,
                str(row.get("name") or ""),
                str(row.get("poverty_flag") or ""),
                std,
                gaps,
                tuple(results),
                verdict,
                tuple(reasons),
            )
        )
    return out

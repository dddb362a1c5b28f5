"""The monitoring policy file (policies/monitoring-*.yaml): parameters, risk rules, weights.

The file has the layout of every policy file (id, name, documents, parameters with their
sources, criteria.household). Each household criterion is one risk rule: its `dimension` is the
risk type, its `expression` a boolean over the household's fields. Expressions are parsed with
sqlglot and checked against the known fields, parameters and functions before anything runs
(see `expressions`), so a policy file cannot smuggle SQL into a query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlglot import exp

from fupin.engine.monitoring.expressions import check
from fupin.engine.policy.expressions import PolicyError
from fupin.engine.yaml_files import load_yaml

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
DEFAULT_POLICY = "monitoring-2018"

ParamValue = bool | int | float | str

# Parameters the code relies on: a policy file without one of them is refused on load.
REQUIRED_PARAMETERS = (
    "income_line",
    "follow_up_days",
    "verify_within_days",
    "rescan_cooldown_days",
    "active_measure_years",
    "return_rate_unit",
    "stability_weight_income_margin",
    "stability_weight_wage_business",
    "stability_weight_earners",
    "stability_weight_health",
    "stability_weight_measures",
    "stability_income_margin_full",
    "stability_earners_full",
    "stability_measures_full",
    "stability_chronic_factor",
    "stability_low",
)
RETURN_RATE_UNITS = ("户", "人")


class MonitoringPolicyError(ValueError):
    """The policy file is not acceptable; str() says why, in Chinese."""


@dataclass(frozen=True)
class Source:
    seed: str
    item: str
    note: str = ""

    def __str__(self) -> str:
        text = f"{self.seed} {self.item}"
        return f"{text}（{self.note}）" if self.note else text


@dataclass(frozen=True)
class Parameter:
    name: str
    value: ParamValue
    label: str = ""
    unit: str = ""
    source: Source | None = None


@dataclass(frozen=True)
class RiskRule:
    id: str
    name: str
    risk_type: str
    expression: str
    source: Source
    tree: exp.Expr


@dataclass(frozen=True)
class MonitoringPolicy:
    id: str
    name: str
    file: Path
    parameters: dict[str, Parameter] = field(default_factory=dict)
    rules: tuple[RiskRule, ...] = ()
    documents: dict[str, str] = field(default_factory=dict)

    def value(self, name: str) -> ParamValue:
        return self.parameters[name].value

    def number(self, name: str) -> float:
        value = self.parameters[name].value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise MonitoringPolicyError(f"策略 {self.id}：参数 {name} 应为数值，现为“{value}”")
        return float(value)

    def values(self) -> dict[str, ParamValue]:
        return {name: p.value for name, p in self.parameters.items()}

    def rule(self, rule_id: str) -> RiskRule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def risk_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.risk_type for r in self.rules))


def policy_file(ref: str | Path) -> Path:
    path = Path(ref)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise MonitoringPolicyError(f"策略文件不存在：{path}")
        return path
    candidate = POLICIES_DIR / f"{ref}.yaml"
    if not candidate.is_file():
        known = "、".join(sorted(p.stem for p in POLICIES_DIR.glob("monitoring-*.yaml")))
        raise MonitoringPolicyError(f"找不到监测策略“{ref}”（可用：{known or '无'}）")
    return candidate


def load_monitoring_policy(ref: str | Path = DEFAULT_POLICY) -> MonitoringPolicy:
    """The checked monitoring policy; raises MonitoringPolicyError naming file, rule, problem."""
    path = policy_file(ref)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MonitoringPolicyError(f"策略文件 {path.name}：无法读取（{exc}）") from None
    return parse_policy(data, path)


def _source(raw: Any, where: str) -> Source:
    if not isinstance(raw, dict) or not raw.get("seed") or not raw.get("item"):
        raise MonitoringPolicyError(f"{where}：缺少出处（source: {{seed, item}}）")
    return Source(str(raw["seed"]), str(raw["item"]), str(raw.get("note", "")))


def parse_policy(data: Any, path: Path) -> MonitoringPolicy:
    name = path.name
    if not isinstance(data, dict) or not data.get("id") or not data.get("name"):
        raise MonitoringPolicyError(f"策略文件 {name}：应为包含 id 和 name 的映射")
    parameters: dict[str, Parameter] = {}
    for key, raw in (data.get("parameters") or {}).items():
        where = f"策略文件 {name} 参数 {key}"
        if isinstance(raw, dict):
            if "value" not in raw:
                raise MonitoringPolicyError(f"{where}：缺少 value")
            src = _source(raw["source"], where) if "source" in raw else None
            parameters[key] = Parameter(
                key, raw["value"], str(raw.get("name", "")), str(raw.get("unit", "")), src
            )
        else:
            parameters[key] = Parameter(key, raw)
    missing = [p for p in REQUIRED_PARAMETERS if p not in parameters]
    if missing:
        raise MonitoringPolicyError(f"策略文件 {name}：缺少参数 {'、'.join(missing)}")
    if parameters["return_rate_unit"].value not in RETURN_RATE_UNITS:
        raise MonitoringPolicyError(
            f"策略文件 {name}：参数 return_rate_unit 应为 {'或'.join(RETURN_RATE_UNITS)}，"
            f"现为“{parameters['return_rate_unit'].value}”"
        )
    values = {k: p.value for k, p in parameters.items()}
    rules: list[RiskRule] = []
    raw_rules = ((data.get("criteria") or {}).get("household")) or []
    if not raw_rules:
        raise MonitoringPolicyError(f"策略文件 {name}：criteria.household 中没有监测规则")
    seen: set[str] = set()
    for i, raw in enumerate(raw_rules, start=1):
        where = f"策略文件 {name} 第{i}条规则"
        if not isinstance(raw, dict):
            raise MonitoringPolicyError(f"{where}：应为映射")
        for key in ("id", "name", "dimension", "expression"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise MonitoringPolicyError(f"{where}：缺少 {key}")
        rule_id = raw["id"]
        if rule_id in seen:
            raise MonitoringPolicyError(f"{where}：规则编号 {rule_id} 重复")
        seen.add(rule_id)
        where = f"策略文件 {name} 规则 {rule_id}"
        try:
            tree = check(raw["expression"], values, where)
        except PolicyError as exc:
            raise MonitoringPolicyError(str(exc)) from None
        rules.append(
            RiskRule(
                rule_id,
                raw["name"],
                raw["dimension"],
                raw["expression"],
                _source(raw.get("source"), where),
                tree,
            )
        )
    documents = {str(k): str(v) for k, v in (data.get("documents") or {}).items()}
    return MonitoringPolicy(
        str(data["id"]), str(data["name"]), path, parameters, tuple(rules), documents
    )

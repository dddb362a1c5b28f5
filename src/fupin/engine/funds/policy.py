"""The funds policy file: thresholds and rule switches, each with the clause it comes from.

The file has the same shape as every policy file (id, name, documents, parameters); a rule is
a parameter named ``rule_<id>`` whose value says whether it is on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from fupin.engine.yaml_files import load_yaml

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
DEFAULT_POLICY = "funds-jiangxi-2017"


class FundsPolicyError(ValueError):
    """The policy file is missing or malformed; str() says where, in Chinese."""


@dataclass(frozen=True)
class RuleInfo:
    id: str
    name: str
    source: str  # "004_….txt 第31项（note）"
    enabled: bool = True


@dataclass(frozen=True)
class FundsPolicy:
    id: str
    name: str
    year: int
    parameters: dict[str, Any]
    rules: dict[str, RuleInfo] = field(default_factory=dict)

    def number(self, name: str) -> Decimal:
        return Decimal(str(self.parameters[name]))

    def days(self, name: str) -> int:
        return int(self.parameters[name])

    def text(self, name: str) -> str:
        return str(self.parameters[name])

    def sources_list(self, name: str) -> tuple[str, ...]:
        return tuple(s for s in self.text(name).replace(",", "、").split("、") if s)

    def enabled(self, rule: str) -> bool:
        info = self.rules.get(rule)
        return info is not None and info.enabled

    def carryover_limit(self, fund_year: int, check_year: int) -> Decimal | None:
        """The carry-over rate a fund year must stay below at the end of check_year.

        Seed 004 item 31 (checked in 2017): 2017 funds < 8 %, 2016 < 2 %, 2015 and earlier 0.
        Funds of a later year (pre-allocated, 预拨) have no limit yet: None.
        """
        age = check_year - fund_year
        if age < 0:
            return None
        if age == 0:
            return self.number("carryover_limit_current_year")
        if age == 1:
            return self.number("carryover_limit_previous_year")
        return self.number("carryover_limit_older")

    def check_date(self, year: int) -> dt.date:
        return _month_day(self.text("check_month_day"), year)

    def notice_deadline(self, fund_year: int) -> dt.date:
        return _month_day(self.text("notice_month_day"), fund_year)


def carryover_exceeds(rate: Decimal | None, limit: Decimal | None) -> bool:
    """'Below 8 %' is broken at 8 % itself; a limit of 0 is broken by any carry-over."""
    if rate is None or limit is None:
        return False
    if limit == 0:
        return rate > 0
    return rate >= limit


def _month_day(text: str, year: int) -> dt.date:
    month, day = (int(x) for x in text.split("-"))
    return dt.date(year, month, day)


def _source_text(raw: Any) -> str:
    if not isinstance(raw, dict):
        return ""
    text = f"{raw.get('seed', '')} 第{raw.get('item', '')}项"
    if raw.get("note"):
        text += f"（{raw['note']}）"
    return text


def load_funds_policy(ref: str | Path = DEFAULT_POLICY) -> FundsPolicy:
    """The policy by name (funds-jiangxi-2017) or path; FundsPolicyError names the problem."""
    path = Path(ref)
    if path.suffix not in (".yaml", ".yml"):
        path = POLICIES_DIR / f"{ref}.yaml"
    if not path.is_file():
        raise FundsPolicyError(f"资金策略文件不存在：{path}")
    try:
        data = load_yaml(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise FundsPolicyError(f"资金策略文件 {path.name}：YAML 格式错误（{exc}）") from None
    if not isinstance(data, dict) or "id" not in data or "parameters" not in data:
        raise FundsPolicyError(f"资金策略文件 {path.name}：缺少 id 或 parameters")
    parameters: dict[str, Any] = {}
    rules: dict[str, RuleInfo] = {}
    for name, raw in (data.get("parameters") or {}).items():
        value = raw["value"] if isinstance(raw, dict) else raw
        if name.startswith("rule_"):
            rule_id = name.removeprefix("rule_")
            label = raw.get("name", rule_id) if isinstance(raw, dict) else rule_id
            source = _source_text(raw.get("source") if isinstance(raw, dict) else None)
            rules[rule_id] = RuleInfo(rule_id, str(label), source, bool(value))
        else:
            parameters[name] = value
    needed = (
        "check_month_day",
        "carryover_limit_current_year",
        "carryover_limit_previous_year",
        "carryover_limit_older",
        "carryover_sources",
        "integration_plan_ratio_min",
        "integration_done_ratio_min",
        "integration_spent_ratio_min",
        "acceptance_days_after_completion",
        "township_hold_days_max",
        "notice_month_day",
        "tender_budget_min",
        "poor_statuses",
        "project_notice_levels",
    )
    missing = [n for n in needed if n not in parameters]
    if missing:
        raise FundsPolicyError(f"资金策略文件 {path.name}：缺少参数 {'、'.join(missing)}")
    return FundsPolicy(
        id=str(data["id"]),
        name=str(data.get("name", data["id"])),
        year=int(data.get("year", 0)),
        parameters=parameters,
        rules=rules,
    )

"""County exit procedures as data: steps, deadlines and verification rules from a policy file.

Framework-free (no Django): `fupin.governance.actions` records the decisions, this module says
what the policy makes of them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fupin.engine.yaml_files import load_yaml

POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
DEFAULT_POLICY = "exit-procedure-anhui-2018"

FIGURE_NAMES = {
    "incidence": "贫困发生率（%）",
    "wrong_exit_rate": "脱贫人口错退率（%）",
    "missed_rate": "贫困人口漏评率（%）",
    "recognition": "群众认可度（%）",
}


class ProcedureError(ValueError):
    """A decision the procedure does not allow; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    outcome: str
    message: str
    clause: str
    figure: str | None = None
    op: str | None = None
    value: float | None = None
    flag: str | None = None
    when: bool | None = None
    back_to: str | None = None

    def applies(self, figures: dict[str, Any]) -> bool:
        if self.figure is not None:
            x = figures.get(self.figure)
            if x is None:
                return False
            return compare(float(x), self.op or ">", float(self.value or 0))
        if self.flag is not None:
            return figures.get(self.flag, True) == self.when
        return False


@dataclass(frozen=True)
class Step:
    id: str
    name: str
    clause: str
    body: str = ""
    deadline: dict[str, int] | None = None
    next: str | None = None
    only_national: bool = False
    documents: tuple[str, ...] = ()
    required_documents: tuple[str, ...] = ()
    required_figures: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    special_rectification: tuple[Check, ...] = ()

    def deadline_for(self, year: int) -> dt.date | None:
        if not self.deadline:
            return None
        y = year + int(self.deadline.get("year_offset", 0))
        month = int(self.deadline["month"])
        day = min(int(self.deadline["day"]), calendar.monthrange(y, month)[1])
        return dt.date(y, month, day)


@dataclass(frozen=True)
class Procedure:
    id: str
    name: str
    source: str
    steps: tuple[Step, ...] = field(default_factory=tuple)

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise ProcedureError(f"退出程序“{self.name}”中没有环节 {step_id}")

    @property
    def first(self) -> Step:
        return self.steps[0]

    def next_step(self, step_id: str, *, national: bool) -> str | None:
        nxt = self.step(step_id).next
        while nxt is not None and self.step(nxt).only_national and not national:
            nxt = self.step(nxt).next
        return nxt

    def path(self, *, national: bool) -> list[Step]:
        return [s for s in self.steps if national or not s.only_national]


def compare(x: float, op: str, value: float) -> bool:
    return {
        ">": x > value,
        ">=": x >= value,
        "<": x < value,
        "<=": x <= value,
        "=": x == value,
    }[op]


def _check(raw: dict[str, Any]) -> Check:
    return Check(
        id=raw["id"],
        name=raw["name"],
        outcome=raw.get("outcome", "special_rectification"),
        message=raw.get("message", raw["name"]),
        clause=raw.get("clause", ""),
        figure=raw.get("figure"),
        op=raw.get("op"),
        value=raw.get("value"),
        flag=raw.get("flag"),
        when=raw.get("when"),
        back_to=raw.get("back_to"),
    )


@lru_cache(maxsize=16)
def load(policy_id: str = DEFAULT_POLICY) -> Procedure:
    path = POLICY_DIR / f"{policy_id}.yaml"
    if not path.exists():
        raise ProcedureError(f"找不到退出程序政策文件 {path.name}")
    raw = load_yaml(path.read_text(encoding="utf-8"))
    steps = []
    for s in raw["steps"]:
        steps.append(
            Step(
                id=s["id"],
                name=s["name"],
                clause=s.get("clause", ""),
                body=s.get("body", ""),
                deadline=s.get("deadline"),
                next=s.get("next"),
                only_national=bool(s.get("only_national", False)),
                documents=tuple(s.get("documents", ())),
                required_documents=tuple(s.get("required_documents", ())),
                required_figures=tuple(s.get("required_figures", ())),
                checks=tuple(_check(c) for c in s.get("checks", ())),
                special_rectification=tuple(_check(c) for c in s.get("special_rectification", ())),
            )
        )
    return Procedure(
        id=raw["id"], name=raw["name"], source=raw.get("source", ""), steps=tuple(steps)
    )


@dataclass(frozen=True)
class Verdict:
    outcome: str  # passed, rejected, returned, materials_requested
    rule: str = ""
    message: str = ""
    back_to: str | None = None
    special_rectification: tuple[str, ...] = ()


def judge(step: Step, figures: dict[str, Any], documents: list[str]) -> Verdict:
    """What the policy makes of a step's figures and documents (first applicable check wins)."""
    missing = [f for f in step.required_figures if figures.get(f) is None]
    if missing:
        names = "、".join(FIGURE_NAMES.get(m, m) for m in missing)
        raise ProcedureError(f"{step.name}需要录入{names}（依据：{step.clause}）")
    lacking = [d for d in step.required_documents if d not in documents]
    if lacking:
        raise ProcedureError(f"{step.name}缺少文件：{'、'.join(lacking)}（依据：{step.clause}）")
    for c in step.checks:
        if c.applies(figures):
            return Verdict(
                outcome=c.outcome,
                rule=c.id,
                message=f"{c.message}（规则：{c.name}；依据：{c.clause}）",
                back_to=c.back_to,
            )
    special = tuple(c.name for c in step.special_rectification if c.applies(figures))
    return Verdict(outcome="passed", special_rectification=special)


def incidence_from_summary(path: Path, region_code: str) -> float:
    """A region's 贫困发生率 in percent from an evaluation summary.json.

    Accepts the shapes an evaluation summary may take: {"regions": {code: {...}}},
    {"by_region": [{"region_code": code, ...}]}, or a list of such rows; the value is
    `incidence_percent`, or `incidence` (a ratio when ≤ 1, else already percent).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ProcedureError(f"无法读取评估结果文件 {path}：{exc}") from exc
    row = _find_region(data, region_code)
    if row is None:
        raise ProcedureError(
            f"评估结果文件 {Path(path).name} 中没有区划 {region_code} 的贫困发生率"
        )
    for key in ("incidence_percent", "incidence_pct", "贫困发生率"):
        if row.get(key) is not None:
            return float(row[key])
    value = float(row["incidence"])
    return value * 100 if value <= 1 else value


def _find_region(data: Any, code: str) -> dict[str, Any] | None:
    if isinstance(data, dict):
        for key in ("regions", "by_region", "incidence_by_region", "results"):
            if key in data:
                found = _find_region(data[key], code)
                if found is not None:
                    return found
        if code in data:
            value = data[code]
            return value if isinstance(value, dict) else {"incidence": value}
        if str(data.get("region_code", data.get("code", ""))) == code and (
            "incidence" in data or "incidence_percent" in data
        ):
            return data
        return None
    if isinstance(data, list):
        for row in data:
            if isinstance(row, dict) and str(row.get("region_code", row.get("code", ""))) == code:
                return row
    return None

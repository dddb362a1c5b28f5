"""The 100-point assessment of cities (seed 003 document five, Hebei) from a scoring policy file
(`policies/scoring-*.yaml`): components, their parts and indicators, the rule turning each
indicator into points, and the problem list of document four article 7 flagged from the data.

The data are a long table of facts: region_code, indicator, value (and where it came from).
City indicators sit on the city's code; the counties' own assessment scores (`county_score`,
out of 100) and whether a county is a poor county (`poor_county`, 1 or 0) on county codes. The
rates of `fupin assess` (rates.csv) can be added as facts too.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fupin.engine.assessment.decisions import OPERATORS, POLICIES_DIR
from fupin.engine.yaml_files import load_yaml


class ScoringError(ValueError):
    pass


@dataclass(frozen=True)
class ScoreRule:
    type: str  # input | linear | threshold
    min: float = 0.0
    max: float = 0.0
    zero_at: float = 0.0
    full_at: float = 1.0
    operator: str = ">="
    threshold: float = 0.0

    def fraction(self, value: float) -> float:
        """The share of the indicator's points that `value` earns (input: the points)."""
        if self.type == "input":
            return min(max(value, self.min), self.max)
        if self.type == "linear":
            share = (value - self.zero_at) / (self.full_at - self.zero_at)
            return min(max(share, 0.0), 1.0)
        return 1.0 if OPERATORS[self.operator](value, self.threshold) else 0.0

    def describe(self) -> str:
        if self.type == "input":
            return f"直接计分（{self.min:g}至{self.max:g}分）"
        if self.type == "linear":
            return f"{self.full_at:g}得满分，{self.zero_at:g}得0分，其间线性"
        return f"{self.operator}{self.threshold:g}得满分，否则0分"


@dataclass(frozen=True)
class ScoreIndicator:
    indicator: str
    name: str
    weight: float
    rule: ScoreRule


@dataclass(frozen=True)
class Part:
    id: str
    name: str
    points: float
    source: str
    indicators: tuple[ScoreIndicator, ...]


@dataclass(frozen=True)
class CountyScores:
    indicator: str
    poor_points: float
    other_points: float
    when_missing: str  # merge: a city without one kind of county gives its points to the other


@dataclass(frozen=True)
class Component:
    id: str
    name: str
    points: float
    source: str
    parts: tuple[Part, ...] = ()
    county_scores: CountyScores | None = None


@dataclass(frozen=True)
class Condition:
    indicator: str
    operator: str
    threshold: float


@dataclass(frozen=True)
class ProblemRule:
    id: str
    name: str
    conditions: tuple[Condition, ...]
    source: str


@dataclass(frozen=True)
class ScoringPolicy:
    id: str
    name: str
    file: Path
    components: tuple[Component, ...]
    problems: tuple[ProblemRule, ...]
    notes: tuple[str, ...] = ()

    @property
    def total_points(self) -> float:
        return sum(c.points for c in self.components if c.id != "adjustment")


def _cite(raw: Any) -> str:
    if not isinstance(raw, Mapping):
        return ""
    text = f"{raw.get('seed', '')} {raw.get('item', '')}"
    return text + (f"（{raw['note']}）" if raw.get("note") else "")


def _rule(raw: Any, where: str) -> ScoreRule:
    if not isinstance(raw, Mapping) or raw.get("type") not in ("input", "linear", "threshold"):
        raise ScoringError(f"{where}：rule.type 应为 input、linear 或 threshold")
    kind = raw["type"]
    if kind == "input":
        return ScoreRule("input", min=float(raw.get("min", 0)), max=float(raw["max"]))
    if kind == "linear":
        if raw["zero_at"] == raw["full_at"]:
            raise ScoringError(f"{where}：zero_at 与 full_at 不能相等")
        return ScoreRule("linear", zero_at=float(raw["zero_at"]), full_at=float(raw["full_at"]))
    if raw.get("operator") not in OPERATORS:
        raise ScoringError(f"{where}：operator 应为 < <= > >=")
    return ScoreRule("threshold", operator=raw["operator"], threshold=float(raw["threshold"]))


def _indicators(raw: Any, where: str) -> tuple[ScoreIndicator, ...]:
    if not isinstance(raw, list) or not raw:
        raise ScoringError(f"{where}：indicators 应为非空列表")
    out = tuple(
        ScoreIndicator(
            str(item["indicator"]),
            str(item.get("name", item["indicator"])),
            float(item.get("weight", 1)),
            _rule(item.get("rule"), f"{where} {item['indicator']}"),
        )
        for item in raw
    )
    if abs(sum(i.weight for i in out) - 1) > 0.011:
        raise ScoringError(f"{where}：各指标权重之和应为1")
    return out


def load_scoring_policy(ref: str | Path) -> ScoringPolicy:
    path = Path(ref)
    if path.suffix not in (".yaml", ".yml"):
        path = POLICIES_DIR / (
            f"{ref}.yaml" if str(ref).startswith("scoring-") else f"scoring-{ref}.yaml"
        )
    if not path.is_file():
        known = "、".join(sorted(p.stem for p in POLICIES_DIR.glob("scoring-*.yaml")))
        raise ScoringError(f"找不到评分策略“{ref}”（可用：{known}）")
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScoringError(f"策略文件 {path.name}：无法读取（{exc}）") from None
    if not isinstance(data, Mapping) or data.get("kind") != "scoring":
        raise ScoringError(f"策略文件 {path.name} 不是评分策略（应含 kind: scoring）")
    components: list[Component] = []
    try:
        for c in data["components"]:
            where = f"策略文件 {path.name} 的 {c['id']}"
            source = _cite(c.get("source"))
            if "county_scores" in c:
                cs = c["county_scores"]
                county = CountyScores(
                    str(cs.get("indicator", "county_score")),
                    float(cs["poor_points"]),
                    float(cs["other_points"]),
                    str(cs.get("when_missing", "merge")),
                )
                if abs(county.poor_points + county.other_points - float(c["points"])) > 1e-9:
                    raise ScoringError(f"{where}：贫困县与非贫困县分值之和应等于 {c['points']}")
                components.append(
                    Component(c["id"], c["name"], float(c["points"]), source, county_scores=county)
                )
                continue
            if "parts" in c:
                parts = tuple(
                    Part(
                        p["id"],
                        p["name"],
                        float(p["points"]),
                        _cite(p.get("source")) or source,
                        _indicators(p.get("indicators"), f"{where}.{p['id']}"),
                    )
                    for p in c["parts"]
                )
                if abs(sum(p.points for p in parts) - float(c["points"])) > 1e-9:
                    raise ScoringError(f"{where}：各项分值之和应等于 {c['points']}")
            else:
                parts = (
                    Part(
                        c["id"],
                        c["name"],
                        float(c["points"]),
                        source,
                        _indicators(c.get("indicators"), where),
                    ),
                )
            components.append(Component(c["id"], c["name"], float(c["points"]), source, parts))
        problems = tuple(
            ProblemRule(
                p["id"],
                p["name"],
                tuple(
                    Condition(str(x["indicator"]), str(x["operator"]), float(x["threshold"]))
                    for x in p["any"]
                ),
                _cite(p.get("source")),
            )
            for p in data.get("problems", []) or []
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ScoringError):
            raise
        raise ScoringError(f"策略文件 {path.name}：格式不对（{exc}）") from None
    for p in problems:
        for cond in p.conditions:
            if cond.operator not in OPERATORS:
                raise ScoringError(f"策略文件 {path.name} 的问题 {p.id}：operator 应为 < <= > >=")
    return ScoringPolicy(
        str(data.get("id", path.stem)),
        str(data.get("name", path.stem)),
        path,
        tuple(components),
        problems,
        tuple(str(n) for n in data.get("notes", []) or []),
    )


# --- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    value: float
    source: str


Facts = dict[tuple[str, str], Fact]

_HEADERS = {
    "region_code": ("region_code", "区划代码"),
    "indicator": ("indicator", "指标"),
    "value": ("value", "值", "estimate", "估计值"),
    "source": ("source", "来源", "数据来源"),
}


def read_facts(path: str | Path, *, source: str = "") -> Facts:
    """Facts from a CSV (region_code, indicator, value[, source]); rates.csv of `fupin assess`
    is read the same way, its estimate being the value."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ScoringError(f"无法读取 {path}：{exc}") from None
    with handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        index: dict[str, int] = {}
        for key, names in _HEADERS.items():
            for name in names:
                if name in header:
                    index[key] = header.index(name)
                    break
        missing = [k for k in ("region_code", "indicator", "value") if k not in index]
        if missing:
            raise ScoringError(f"{path.name} 第1行：缺少列 {'、'.join(missing)}")
        facts: Facts = {}
        for row_number, row in enumerate(reader, start=2):
            if not any(c.strip() for c in row):
                continue
            code = row[index["region_code"]].strip()
            indicator = row[index["indicator"]].strip()
            text = row[index["value"]].strip()
            if not text:
                continue
            try:
                value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
            except ValueError:
                raise ScoringError(
                    f"{path.name} 第{row_number}行“值”列，值“{text}”：应为数字"
                ) from None
            origin = (
                row[index["source"]].strip()
                if "source" in index and index["source"] < len(row)
                else ""
            )
            facts[(code, indicator)] = Fact(value, origin or source or path.name)
    return facts


# --- scores -----------------------------------------------------------------------------------


@dataclass
class ScoreLine:
    component: str
    part: str
    indicator: str
    name: str
    value: float | None
    source: str
    rule: str
    points: float
    max_points: float
    note: str = ""


@dataclass
class FlaggedProblem:
    id: str
    name: str
    evidence: str
    source: str


@dataclass
class CityScore:
    region_code: str
    lines: list[ScoreLine] = field(default_factory=list)
    problems: list[FlaggedProblem] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(line.points for line in self.lines)

    def component_points(self, component: str) -> float:
        return sum(line.points for line in self.lines if line.component == component)


def _counties(facts: Facts, city: str, indicator: str) -> list[tuple[str, float, bool, str]]:
    out = []
    for (code, name), fact in facts.items():
        if name != indicator or code[:4] != city[:4] or code[4:6] == "00" or code[6:] != "000000":
            continue
        poor = facts.get((code, "poor_county"))
        out.append((code, fact.value, bool(poor and poor.value >= 1), fact.source))
    return sorted(out)


def score_city(policy: ScoringPolicy, city: str, facts: Facts) -> CityScore:
    result = CityScore(city)
    for component in policy.components:
        if component.county_scores is not None:
            result.lines.extend(_county_lines(component, city, facts))
            continue
        for part in component.parts:
            for ind in part.indicators:
                fact = facts.get((city, ind.indicator))
                if ind.rule.type == "input":
                    share = ind.weight * part.points / max(ind.rule.max, 1e-9)
                    points = ind.rule.fraction(fact.value) * share if fact else 0.0
                else:
                    points = (
                        ind.rule.fraction(fact.value) * ind.weight * part.points if fact else 0.0
                    )
                result.lines.append(
                    ScoreLine(
                        component.name,
                        part.name,
                        ind.indicator,
                        ind.name,
                        fact.value if fact else None,
                        fact.source if fact else "",
                        ind.rule.describe(),
                        round(points, 4),
                        round(ind.weight * part.points, 4),
                        "" if fact else "缺少数据，按0分计",
                    )
                )
    for problem in policy.problems:
        hits = []
        for cond in problem.conditions:
            fact = facts.get((city, cond.indicator))
            if fact is not None and OPERATORS[cond.operator](fact.value, cond.threshold):
                hits.append(
                    f"{cond.indicator}={fact.value:g}（{cond.operator}{cond.threshold:g}，来源：{fact.source}）"
                )
        if hits:
            result.problems.append(
                FlaggedProblem(problem.id, problem.name, "；".join(hits), problem.source)
            )
    return result


def _county_lines(component: Component, city: str, facts: Facts) -> list[ScoreLine]:
    cs = component.county_scores
    assert cs is not None
    counties = _counties(facts, city, cs.indicator)
    poor = [c for c in counties if c[2]]
    other = [c for c in counties if not c[2]]
    poor_points, other_points = cs.poor_points, cs.other_points
    note = ""
    if cs.when_missing == "merge":
        if not poor and other:
            poor_points, other_points = 0.0, cs.poor_points + cs.other_points
            note = "市内无贫困县，贫困县分值并入非贫困县"
        elif poor and not other:
            poor_points, other_points = cs.poor_points + cs.other_points, 0.0
            note = "市内无非贫困县，非贫困县分值并入贫困县"
    lines = []
    for label, group, points in (
        ("所属贫困县", poor, poor_points),
        ("所属非贫困县（市、区）", other, other_points),
    ):
        if points == 0 and not group:
            continue
        mean = sum(c[1] for c in group) / len(group) if group else None
        lines.append(
            ScoreLine(
                component.name,
                label,
                cs.indicator,
                f"{label}省级考核平均得分（{len(group)}个县：{'、'.join(c[0] for c in group)}）",
                mean,
                "；".join(sorted({c[3] for c in group})),
                f"平均分÷100×{points:g}",
                round(min(max(mean, 0.0), 100.0) / 100 * points, 4) if mean is not None else 0.0,
                points,
                note if note else ("" if group else "缺少数据，按0分计"),
            )
        )
    return lines


def cities_in(facts: Facts) -> list[str]:
    """Every city with facts of its own or of its counties."""
    cities = set()
    for code, _ in facts:
        if len(code) == 12 and code[2:4] != "00":
            cities.add(code[:4] + "0" * 8)
    return sorted(cities)


def score_all(
    policy: ScoringPolicy, facts: Facts, cities: Sequence[str] | None = None
) -> list[CityScore]:
    return [score_city(policy, city, facts) for city in (cities or cities_in(facts))]


def write_scores(
    path_xlsx: str | Path, path_csv: str | Path, policy: ScoringPolicy, scores: Sequence[CityScore]
) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "汇总"
    names = [c.name for c in policy.components]
    summary.append(["区划代码", *names, "总分", "发现问题"])
    for s in scores:
        summary.append(
            [
                s.region_code,
                *[round(s.component_points(n), 2) for n in names],
                round(s.total, 2),
                "、".join(p.name for p in s.problems),
            ]
        )
    header = [
        "考核内容",
        "项目",
        "指标",
        "指标名称",
        "数据",
        "数据来源",
        "计分规则",
        "得分",
        "满分",
        "说明",
    ]
    for s in scores:
        sheet = book.create_sheet(f"评分表{s.region_code[:4]}")
        sheet.append([f"{s.region_code} 扶贫开发工作成效考核评分表（{policy.name}）"])
        sheet.append(header)
        for line in s.lines:
            sheet.append(
                [
                    line.component,
                    line.part,
                    line.indicator,
                    line.name,
                    line.value,
                    line.source,
                    line.rule,
                    line.points,
                    line.max_points,
                    line.note,
                ]
            )
        sheet.append(
            [
                "合计",
                "",
                "",
                "",
                "",
                "",
                "",
                round(s.total, 2),
                policy.total_points,
                "调整指标另计±5分",
            ]
        )
        sheet.column_dimensions["D"].width = 40
        sheet.column_dimensions["G"].width = 30
        sheet[2][0].font = bold
    problems = book.create_sheet("问题清单")
    problems.append(["区划代码", "问题", "依据", "数据"])
    for s in scores:
        for p in s.problems:
            problems.append([s.region_code, p.name, p.source, p.evidence])
    for ws in (summary, problems):
        for cell in ws[1]:
            cell.font = bold
    book.save(path_xlsx)
    with Path(path_csv).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "region_code",
                "component",
                "part",
                "indicator",
                "value",
                "points",
                "max_points",
                "source",
            ]
        )
        for s in scores:
            for line in s.lines:
                writer.writerow(
                    [
                        s.region_code,
                        line.component,
                        line.part,
                        line.indicator,
                        "" if line.value is None else line.value,
                        line.points,
                        line.max_points,
                        line.source,
                    ]
                )
            writer.writerow(
                [s.region_code, "总分", "", "", "", round(s.total, 4), policy.total_points, ""]
            )


__all__ = [
    "ScoringError",
    "load_scoring_policy",
    "read_facts",
    "score_all",
    "score_city",
    "write_scores",
]

"""Loading policy files: YAML, validated against the schema, `extends` resolved, every
expression checked against its scope before the policy is handed to anybody."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from sqlglot import exp

from fupin.engine.policy.expressions import ParamValue, PolicyError, check_expression
from fupin.engine.policy.schema import POLICY_SCHEMA
from fupin.engine.policy.scopes import (
    COUNTY_FACTS,
    COUNTY_FIELDS,
    HOUSEHOLD_FIELDS,
    LEVELS,
    MEMBER_FIELDS,
    VILLAGE_FIELDS,
    scope_for,
)
from fupin.engine.yaml_files import load_yaml

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class Source:
    seed: str
    item: str
    note: str = ""

    def __str__(self) -> str:
        return f"{self.seed} 第{self.item}项"


@dataclass(frozen=True)
class Parameter:
    name: str
    value: ParamValue
    label: str = ""
    unit: str = ""
    source: Source | None = None


@dataclass(frozen=True)
class Criterion:
    level: str
    id: str
    name: str
    dimension: str
    expression: str
    source: Source
    tree: exp.Expr
    applies_when: str | None = None
    applies_tree: exp.Expr | None = None
    gap: str | None = None
    # the gap template split into text and checked expressions, in order
    gap_parts: tuple[str | exp.Expr, ...] = ()
    kind: str = "exit"
    file: str = ""


@dataclass(frozen=True)
class Policy:
    id: str
    name: str
    file: Path
    jurisdiction: str = ""
    year: int | None = None
    lineage: tuple[str, ...] = ()  # this policy and the ones it extends, nearest first
    documents: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    criteria: dict[str, tuple[Criterion, ...]] = field(default_factory=dict)

    def values(self) -> dict[str, ParamValue]:
        return {name: p.value for name, p in self.parameters.items()}

    def level(self, level: str) -> tuple[Criterion, ...]:
        return self.criteria.get(level, ())

    def criterion(self, level: str, criterion_id: str) -> Criterion:
        for c in self.level(level):
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)


def available_policies(directory: Path = POLICIES_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml"))


def policy_path(ref: str | Path, *, near: Path | None = None) -> Path:
    """The file of a policy given by name (yunnan-2017) or path."""
    candidate = Path(ref)
    if candidate.suffix in (".yaml", ".yml"):
        if candidate.is_file():
            return candidate
        raise PolicyError(f"策略文件不存在：{candidate}")
    for directory in (near, POLICIES_DIR):
        if directory is not None and (directory / f"{ref}.yaml").is_file():
            return directory / f"{ref}.yaml"
    known = "、".join(available_policies()) or "无"
    raise PolicyError(f"找不到策略“{ref}”（可用的策略：{known}）")


def load_policy(ref: str | Path) -> Policy:
    """The checked policy; raises PolicyError naming the file, criterion and problem.

    Policies are immutable; a file loaded once is not parsed again while it is unchanged."""
    path = policy_path(ref).resolve()
    return _load_cached(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _load_cached(path: str, mtime_ns: int) -> Policy:
    return _load(Path(path), ())


def _read(path: Path) -> dict[str, Any]:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"策略文件 {path.name}：无法读取（{exc}）") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"策略文件 {path.name}：YAML 格式错误（{exc}）") from None
    if not isinstance(data, dict):
        raise PolicyError(f"策略文件 {path.name}：内容应为一个映射（键: 值）")
    errors = sorted(
        jsonschema.Draft202012Validator(POLICY_SCHEMA).iter_errors(data),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "根"
        raise PolicyError(f"策略文件 {path.name}：“{where}”处不符合策略文件格式（{first.message}）")
    if data["id"] != path.stem:
        raise PolicyError(f"策略文件 {path.name}：id “{data['id']}”应与文件名一致")
    return data


def _source(raw: dict[str, Any] | None) -> Source | None:
    if raw is None:
        return None
    return Source(str(raw["seed"]), str(raw["item"]), str(raw.get("note", "")))


_FIELD_NAMES = (
    set(MEMBER_FIELDS)
    | set(HOUSEHOLD_FIELDS)
    | set(VILLAGE_FIELDS)
    | {f.name for f in COUNTY_FIELDS + COUNTY_FACTS}
)


def _load(path: Path, seen: tuple[str, ...]) -> Policy:
    data = _read(path)
    if data["id"] in seen:
        chain = " → ".join((*seen, data["id"]))
        raise PolicyError(f"策略文件 {path.name}：extends 形成循环（{chain}）")
    parent = None
    if "extends" in data:
        parent = _load(policy_path(data["extends"], near=path.parent), (*seen, data["id"]))

    parameters: dict[str, Parameter] = dict(parent.parameters) if parent else {}
    for name, raw in (data.get("parameters") or {}).items():
        if name in _FIELD_NAMES:
            raise PolicyError(f"策略文件 {path.name}：参数“{name}”与字段同名，请换一个名字")
        if isinstance(raw, dict):
            parameters[name] = Parameter(
                name,
                raw["value"],
                raw.get("name", ""),
                raw.get("unit", ""),
                _source(raw.get("source")),
            )
        else:
            parameters[name] = Parameter(name, raw)
    values = {name: p.value for name, p in parameters.items()}

    raw_criteria: dict[str, list[tuple[dict[str, Any], str]]] = {level: [] for level in LEVELS}
    if parent:
        for level in LEVELS:
            raw_criteria[level] = [(_raw_of(c), c.file) for c in parent.level(level)]
    removed = data.get("remove_criteria") or {}
    for level in LEVELS:
        drop = set(removed.get(level, []))
        unknown = drop - {raw["id"] for raw, _ in raw_criteria[level]}
        if unknown:
            raise PolicyError(
                f"策略文件 {path.name}：remove_criteria 中的准则不存在：{'、'.join(sorted(unknown))}"
            )
        merged = [(raw, file) for raw, file in raw_criteria[level] if raw["id"] not in drop]
        own = (data.get("criteria") or {}).get(level, [])
        own_ids = [c["id"] for c in own]
        duplicates = sorted({i for i in own_ids if own_ids.count(i) > 1})
        if duplicates:
            raise PolicyError(
                f"策略文件 {path.name}：{level} 级准则 id 重复：{'、'.join(duplicates)}"
            )
        for raw in own:
            index = next((i for i, (r, _) in enumerate(merged) if r["id"] == raw["id"]), None)
            if index is None:
                merged.append((raw, path.name))
            else:
                merged[index] = (raw, path.name)  # a child overrides its parent's criterion
        raw_criteria[level] = merged

    criteria = {
        level: tuple(_criterion(level, raw, file, values) for raw, file in raw_criteria[level])
        for level in LEVELS
    }
    documents = dict(parent.documents) if parent else {}
    documents.update(data.get("documents") or {})
    return Policy(
        id=data["id"],
        name=data["name"],
        file=path,
        jurisdiction=data.get("jurisdiction", ""),
        year=data.get("year"),
        lineage=(data["id"], *(parent.lineage if parent else ())),
        documents=documents,
        parameters=parameters,
        criteria=criteria,
    )


def _raw_of(c: Criterion) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "dimension": c.dimension,
        "expression": c.expression,
        "kind": c.kind,
        "source": {"seed": c.source.seed, "item": c.source.item, "note": c.source.note},
    }
    if c.applies_when:
        raw["applies_when"] = c.applies_when
    if c.gap:
        raw["gap"] = c.gap
    return raw


def _criterion(
    level: str, raw: dict[str, Any], file: str, values: dict[str, ParamValue]
) -> Criterion:
    scope = scope_for(level).with_parameters(values)
    where = f"策略文件 {file}，{level} 级准则 {raw['id']}"
    tree = check_expression(raw["expression"], scope, f"{where} 的 expression")
    applies = raw.get("applies_when")
    applies_tree = check_expression(applies, scope, f"{where} 的 applies_when") if applies else None
    gap = raw.get("gap")
    parts: list[str | exp.Expr] = []
    if gap:
        position = 0
        for match in _PLACEHOLDER.finditer(gap):
            if match.start() > position:
                parts.append(gap[position : match.start()])
            parts.append(check_expression(match.group(1), scope, f"{where} 的 gap"))
            position = match.end()
        if position < len(gap):
            parts.append(gap[position:])
    source = _source(raw["source"])
    assert source is not None
    return Criterion(
        level=level,
        id=raw["id"],
        name=raw["name"],
        dimension=raw["dimension"],
        expression=raw["expression"],
        source=source,
        tree=tree,
        applies_when=applies,
        applies_tree=applies_tree,
        gap=gap,
        gap_parts=tuple(parts),
        kind=raw.get("kind", "exit"),
        file=file,
    )

"""The seed documents' own task lists and rectification plan, shipped as data files.

`load_seeds()` imports them into the ledgers; it is idempotent (a second run changes nothing
and adds nothing), and keeps each unit's name as printed next to the unit it stands for.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from fupin.governance.actions import _audit, resolve_organisation
from fupin.governance.models import (
    MeasureUnit,
    Organisation,
    Problem,
    RectificationMeasure,
    RectificationPlan,
    Task,
    TaskList,
    TaskUnit,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
TASK_LISTS = ("seed-000", "seed-002", "seed-004")
PLANS = ("seed-003",)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=8)
def read(key: str) -> dict[str, Any]:
    path = DATA_DIR / f"{key}.yaml"
    if not path.exists():
        raise KeyError(f"没有名为 {key} 的种子清单（可选：{'、'.join(TASK_LISTS + PLANS)}）")
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    return data


@lru_cache(maxsize=1)
def _alias_table() -> dict[str, dict[str, str]]:
    raw = yaml.load((DATA_DIR / "organisations.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    table: dict[str, dict[str, str]] = {}
    for region, names in raw.items():
        for canonical, variants in names.items():
            for v in variants:
                table.setdefault(str(region), {})[v] = canonical
    return table


def aliases(region_code: str) -> dict[str, str]:
    return _alias_table().get(region_code, {})


def _date(value: Any) -> dt.date | None:
    if value in (None, "", "长期坚持"):
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def load_seeds(*, acting_user: Any = None) -> dict[str, int]:
    """Import every seed list; returns the number of tasks / problems / measures per list."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        for key in TASK_LISTS:
            counts[key] = _load_task_list(key)
        for key in PLANS:
            counts[key] = _load_plan(key)
        _audit(acting_user, "load_seeds", TaskList.objects.get(key=TASK_LISTS[0]), counts=counts)
    return counts


class _Units:
    """Organisations of one region by name, resolved once (a load asks for each unit many times)."""

    def __init__(self, region_code: str, region_name: str) -> None:
        self.region_code, self.region_name = region_code, region_name
        self.names = aliases(region_code)
        self.cache = {o.name: o for o in Organisation.objects.filter(region_code=region_code)}

    def __call__(self, name: str) -> Organisation:
        canonical = self.names.get(name, name)
        org = self.cache.get(canonical)
        if org is None or (canonical != name and name not in org.aliases.splitlines()):
            org = resolve_organisation(name, self.region_code, self.region_name, self.names)
            self.cache[canonical] = org
        return org


def _task_fields(raw: dict[str, Any], region: str) -> dict[str, Any]:
    due = raw.get("due")
    return {
        "kind": raw["kind"],
        "title": raw.get("title", "") if raw["kind"] in ("item", "subitem") else raw["text"][:300],
        "text": raw["text"],
        "region_code": region,
        "due": _date(due),
        "long_term": due == "长期坚持",
        "due_text": raw.get("due_text", ""),
        "recurring": raw.get("recurring", ""),
        "milestones": raw.get("milestones", []),
        "targets": raw.get("targets", []),
        "notes": raw.get("notes", []),
    }


def _load_task_list(key: str) -> int:
    data = read(key)
    region, region_name = data["region_code"], data["region_name"]
    schedule = data.get("report_schedule") or {}
    tl, _ = TaskList.objects.update_or_create(
        key=key,
        defaults={
            "title": data["title"],
            "source": data["source"],
            "issued": _date(data.get("issued")),
            "year": data["year"],
            "region_code": region,
            "region_name": region_name,
            "report_kind": schedule.get("kind", "none"),
            "report_days": schedule.get("dates", []),
        },
    )
    unit = _Units(region, region_name)
    existing = {t.number: t for t in Task.objects.filter(task_list=tl)}
    links = {
        (u.task_id, u.organisation_id, u.role): u
        for u in TaskUnit.objects.filter(task__task_list=tl)
    }
    by_number: dict[str, Task] = {}
    new_links: list[TaskUnit] = []
    keep: set[int] = set()
    items = 0
    for position, raw in enumerate(data["tasks"], start=1):
        number = str(raw["number"])
        fields = _task_fields(raw, region)
        fields["position"] = position
        fields["parent_id"] = by_number[str(raw["parent"])].pk if raw.get("parent") else None
        task = existing.get(number)
        if task is None:
            task = Task.objects.create(task_list=tl, number=number, **fields)
        elif any(getattr(task, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(task, k, v)
            task.save()
        by_number[number] = task
        items += raw["kind"] == "item"
        for role in ("lead", "co"):
            for i, name in enumerate(raw.get(f"{role}_units") or []):
                org = unit(name)
                link = links.get((task.pk, org.pk, role))
                if link is None:
                    new_links.append(
                        TaskUnit(
                            task=task, organisation=org, role=role, name_as_printed=name, position=i
                        )
                    )
                    links[(task.pk, org.pk, role)] = new_links[-1]
                    continue
                if link.pk is None:
                    continue
                keep.add(link.pk)
                if (link.name_as_printed, link.position) != (name, i):
                    link.name_as_printed, link.position = name, i
                    link.save(update_fields=["name_as_printed", "position"])
    stale = [u.pk for u in links.values() if u.pk is not None and u.pk not in keep]
    TaskUnit.objects.filter(pk__in=stale).delete()
    TaskUnit.objects.bulk_create(new_links)
    return items


def _load_plan(key: str) -> int:
    data = read(key)
    region, region_name = data["region_code"], data["region_name"]
    unit = _Units(region, region_name)
    plan, _ = RectificationPlan.objects.update_or_create(
        key=key,
        defaults={
            "title": data["title"],
            "issuer": data.get("issuer", ""),
            "region_code": region,
            "region_name": region_name,
            "source_kind": data["source_kind"],
            "source_ref": data.get("source_ref", ""),
            "issued": _date(data.get("issued")),
            "year": data["year"],
            "schedule": data.get("schedule", []),
        },
    )
    measures: dict[str, RectificationMeasure] = {}
    units_of: dict[str, list[MeasureUnit]] = {}
    position = 0

    def save_measure(raw: dict[str, Any], parent: RectificationMeasure | None) -> None:
        nonlocal position
        position += 1
        due = raw.get("due")
        m, _ = RectificationMeasure.objects.update_or_create(
            plan=plan,
            number=raw["number"],
            defaults={
                "parent_id": parent.pk if parent else None,
                "position": position,
                "text": raw["text"],
                "due": _date(due),
                "long_term": due == "长期坚持",
                "due_text": raw.get("due_text", ""),
                "notes": raw.get("notes", []),
            },
        )
        m.units.all().delete()
        rows = [
            MeasureUnit(
                measure=m, organisation=unit(name), role=role, name_as_printed=name, position=i
            )
            for role, field in (("lead", "lead_units"), ("responsible", "responsible_units"))
            for i, name in enumerate(raw.get(field) or [])
        ]
        MeasureUnit.objects.bulk_create(rows)
        measures[m.number] = m
        units_of[m.number] = rows
        for part in raw.get("parts", []):
            save_measure(part, m)

    for raw in data["measures"]:
        save_measure(raw, None)

    groups = {g["number"]: g["title"] for g in data["groups"]}
    for i, raw in enumerate(data["problems"], start=1):
        linked = [measures[n] for n in raw["measures"]]
        primary = linked[0]
        leads = [u for u in units_of[primary.number] if u.role == "lead"]
        resp = [u for u in units_of[primary.number] if u.role == "responsible"]
        dues = [m.due for m in linked if m.due]
        p, _ = Problem.objects.update_or_create(
            plan=plan,
            number=raw["number"],
            defaults={
                "group_number": raw["group"],
                "group_title": groups[raw["group"]],
                "position": i,
                "text": raw["text"],
                "source_kind": data["source_kind"],
                "source_ref": data.get("source_ref", ""),
                "region_code": region,
                "figures": raw.get("figures", []),
                "lead_unit": leads[0].organisation if leads else None,
                "due": max(dues) if dues else None,
                "long_term": not dues and any(m.long_term for m in linked),
            },
        )
        p.measures.set(linked)
        p.responsible_units.set(
            [u.organisation for u in leads[1:]] + [u.organisation for u in resp]
        )
    return len(data["problems"])

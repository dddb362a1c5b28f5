"""Edit forms over the standard format: the fields, their current text and the posted changes.

Values are the canonical text an import would read (是/否, 2017, 1200.50), and changes go to
the registry actions, which validate them exactly like the importer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fupin.engine.standard_format import HOUSEHOLDS, MEMBERS, Field, Table
from fupin.registry.models import RecordVersion

# Fields not edited on these forms: keys, the village, and the status (动态调整 only).
HOUSEHOLD_FIXED = ("household_id", "region_code", "status", "exit_year", "identified_year")
MEMBER_FIXED = ("household_id",)


@dataclass
class FormField:
    name: str
    label: str
    kind: str  # text, select, bool
    value: str
    choices: tuple[str, ...]
    error: str = ""
    required: bool = False
    hint: str = ""


def current_values(table: Table, key: str) -> dict[str, str]:
    version = (
        RecordVersion.objects.filter(table=table.name, key=key, valid_to=None, deleted=False)
        .values_list("data", flat=True)
        .first()
    )
    if version is None:
        return {}
    data = json.loads(version)
    return {name: data.get(name, "") for name in table.field_names}


def _hint(f: Field) -> str:
    if f.type == "bool":
        return "是 / 否"
    if f.type == "list":
        return "多个值以;分隔"
    if f.type == "money":
        return "元"
    if f.type == "date":
        return "YYYY-MM-DD"
    return ""


def form_fields(
    table: Table, values: dict[str, str], errors: dict[str, str] | None = None
) -> list[FormField]:
    fixed = HOUSEHOLD_FIXED if table is HOUSEHOLDS else MEMBER_FIXED
    out = []
    for f in table.fields:
        if f.name in fixed:
            continue
        if f.type == "enum":
            kind, choices = "select", ("", *f.values)
        elif f.type == "bool":
            kind, choices = "select", ("", "是", "否")
        else:
            kind, choices = "text", ()
        value = values.get(f.name, "")
        if kind == "select" and value not in choices:
            choices = (*choices, value)
        out.append(
            FormField(
                name=f.name,
                label=f.label,
                kind=kind,
                value=value,
                choices=choices,
                error=(errors or {}).get(f.name, ""),
                required=f.required,
                hint=_hint(f),
            )
        )
    return out


def posted_changes(table: Table, post, current: dict[str, str]) -> dict[str, str]:
    """The fields whose posted text differs from the current text."""
    fixed = HOUSEHOLD_FIXED if table is HOUSEHOLDS else MEMBER_FIXED
    changes = {}
    for name in table.field_names:
        if name in fixed or name not in post:
            continue
        value = post.get(name, "").strip()
        if value != current.get(name, ""):
            changes[name] = value
    return changes


TABLES = {"households": HOUSEHOLDS, "members": MEMBERS}

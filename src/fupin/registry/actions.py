"""State changes of the registry made by a person: atomic, validated like an import, versioned.

Each action takes the acting user as a keyword argument and writes the change through the
same RegistryWriter as the importer, so the current row and its history stay in step.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from fupin.engine import idcard
from fupin.engine.standard_format import HOUSEHOLDS, MEMBERS, Table
from fupin.engine.values import CellError, format_value, parse_cell
from fupin.registry.canonical import Row, digest
from fupin.registry.writing import RegistryWriter, link_helpers


class InvalidChange(ValueError):
    """A change breaks a rule; `errors` maps each field to the rule in Chinese."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(f"{k}：{v}" for k, v in errors.items()))
        self.errors = errors


def _apply(table: Table, old: Row, changes: dict[str, str]) -> Row:
    errors: dict[str, str] = {}
    values = dict(zip(table.field_names, old, strict=True))
    for name, raw in changes.items():
        if name in table.key:
            errors[name] = "主键不能在此修改"
            continue
        f = table.field(name)
        try:
            values[name] = format_value(f, parse_cell(f, raw))
        except CellError as exc:
            errors[name] = str(exc)
    if errors:
        raise InvalidChange(errors)
    return tuple(values[n] for n in table.field_names)


def _member_rules(row: Row) -> None:
    values = dict(zip(MEMBERS.field_names, row, strict=True))
    parsed = idcard.parse(values["id_number"])
    errors = {}
    if values["birth_date"] != parsed.birth_date.isoformat():
        errors["birth_date"] = (
            f"出生日期与身份证号不一致（身份证号中为{parsed.birth_date.isoformat()}）"
        )
    if values["sex"] != parsed.sex:
        errors["sex"] = f"性别与身份证号不一致（身份证号第17位表示{parsed.sex}）"
    if errors:
        raise InvalidChange(errors)


def _update(table: Table, key: str, changes: dict[str, str], *, acting_user, source: str) -> bool:
    writer = RegistryWriter(
        now=timezone.now(), user_id=getattr(acting_user, "pk", None), source=source
    )
    with transaction.atomic():
        old = writer.current_data(table, [key]).get(key)
        if old is None:
            raise InvalidChange({table.key[0]: f"记录{key}不存在"})
        new = _apply(table, old, changes)
        if table is MEMBERS:
            _member_rules(new)
        if new == old:
            return False
        writer.update(table, [(key, new, digest(new))])
        if table is HOUSEHOLDS:
            link_helpers()
    return True


def do_update_member(
    id_number: str, changes: dict[str, str], *, acting_user, source: str = "网页编辑"
) -> bool:
    """Change fields of a member (values as a person types them); False when nothing changed."""
    return _update(MEMBERS, id_number, changes, acting_user=acting_user, source=source)


def do_update_household(
    household_id: str, changes: dict[str, str], *, acting_user, source: str = "网页编辑"
) -> bool:
    return _update(HOUSEHOLDS, household_id, changes, acting_user=acting_user, source=source)

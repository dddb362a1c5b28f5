"""Dynamic adjustment (动态调整) and ID corrections: registry changes a person asks for.

The site's approval workflow (a clerk asks, a 审核员 approves) calls `apply_adjustment` once
a request is approved; the change itself goes through `do_update_household`, so it is
validated and versioned like every other edit.

The four adjustments of the yearly dynamic management (seed documents: 扶贫对象动态管理):

- 标注脱贫: the household has exited; 贫困状态 becomes 已脱贫 with the exit year.
- 返贫: an exited household has fallen back into poverty; 贫困状态 becomes 返贫.
- 清退: the household was wrongly identified and leaves the register; 贫困状态 becomes 清退.
- 新识别: the household is identified as poor this year; 贫困状态 becomes 未脱贫.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from fupin.engine import idcard
from fupin.engine.standard_format import HOUSEHOLDS, MEMBERS
from fupin.registry.actions import (
    InvalidChange,
    _apply,
    _member_rules,
    do_update_household,
    do_update_member,
)
from fupin.registry.canonical import digest
from fupin.registry.writing import RegistryWriter

KINDS = ("标注脱贫", "返贫", "清退", "新识别")

# Which statuses each adjustment may start from.
ALLOWED_FROM = {
    "标注脱贫": ("未脱贫", "返贫"),
    "返贫": ("已脱贫",),
    "清退": ("未脱贫", "已脱贫", "返贫"),
    "新识别": ("", "清退"),
}


def adjustment_changes(kind: str, year: int) -> dict[str, str]:
    """The household fields an adjustment sets (values as typed, like an import cell)."""
    if kind == "标注脱贫":
        return {"status": "已脱贫", "exit_year": str(year)}
    if kind == "返贫":
        return {"status": "返贫", "exit_year": ""}
    if kind == "清退":
        return {"status": "清退", "exit_year": ""}
    if kind == "新识别":
        return {"status": "未脱贫", "identified_year": str(year), "exit_year": ""}
    raise InvalidChange({"kind": f"未知的调整类型“{kind}”，可选：{'、'.join(KINDS)}"})


def check_adjustment(kind: str, current_status: str) -> None:
    """Raise InvalidChange when the adjustment does not fit the household's status."""
    if kind not in ALLOWED_FROM:
        raise InvalidChange({"kind": f"未知的调整类型“{kind}”，可选：{'、'.join(KINDS)}"})
    allowed = ALLOWED_FROM[kind]
    if current_status not in allowed:
        shown = "、".join(s or "（空）" for s in allowed)
        raise InvalidChange(
            {"status": f"{kind}只适用于贫困状态为{shown}的户，该户为“{current_status or '空'}”"}
        )


def apply_adjustment(household_id: str, kind: str, year: int, *, acting_user) -> bool:
    """Apply an approved adjustment to the household through the registry's edit action."""
    from fupin.registry.models import Household

    status = (
        Household.objects.filter(household_id=household_id).values_list("status", flat=True).first()
    )
    if status is None:
        raise InvalidChange({"household_id": f"户{household_id}不存在"})
    check_adjustment(kind, status)
    return do_update_household(
        household_id,
        adjustment_changes(kind, year),
        acting_user=acting_user,
        source=f"动态调整：{kind}",
    )


def update_member(
    id_number: str, changes: dict[str, str], *, acting_user, source: str = "网页编辑"
) -> str:
    """Change a member, correcting the ID number too when `changes` has a new one.

    The ID number is the member's key, so a correction removes the record under the old
    number and adds it under the new one (both in the history); the household's head ID
    follows when the member is its head. Returns the member's ID number after the change.
    """
    new_id = idcard.normalise(changes.get("id_number", id_number)) or id_number
    rest = {k: v for k, v in changes.items() if k != "id_number"}
    if new_id == id_number:
        do_update_member(id_number, rest, acting_user=acting_user, source=source)
        return id_number
    reason = idcard.explain(new_id)
    if reason:
        raise InvalidChange({"id_number": reason})
    from fupin.registry.models import Member

    if Member.objects.filter(id_number=new_id).exists():
        raise InvalidChange({"id_number": f"身份证号{idcard.mask(new_id)}已登记为另一位成员"})
    writer = RegistryWriter(
        now=timezone.now(),
        user_id=getattr(acting_user, "pk", None),
        source=source + "（更正身份证号）",
    )
    with transaction.atomic():
        old = writer.current_data(MEMBERS, [id_number]).get(id_number)
        if old is None:
            raise InvalidChange({"id_number": f"成员{idcard.mask(id_number)}不存在"})
        keyed = dict(zip(MEMBERS.field_names, old, strict=True))
        keyed["id_number"] = new_id
        row = _apply(MEMBERS, tuple(keyed[n] for n in MEMBERS.field_names), rest)
        _member_rules(row)
        values = dict(zip(MEMBERS.field_names, row, strict=True))
        writer.delete(MEMBERS, [id_number])
        writer.add(MEMBERS, [(new_id, row, digest(row))])
        household_id = values["household_id"]
        head = writer.current_data(HOUSEHOLDS, [household_id]).get(household_id)
        if head is not None:
            hv = dict(zip(HOUSEHOLDS.field_names, head, strict=True))
            if hv["head_id_number"] == id_number:
                hv["head_id_number"] = new_id
                new_head = tuple(hv[n] for n in HOUSEHOLDS.field_names)
                writer.update(HOUSEHOLDS, [(household_id, new_head, digest(new_head))])
    return new_id

"""Masking of ID and phone numbers on screen."""

from __future__ import annotations

from fupin.engine import idcard


def mask_id(number: str) -> str:
    return idcard.mask(number) if number else ""


def mask_phone(phone: str) -> str:
    """13800000001 → 138****0001; several numbers separated by ; are each masked."""
    parts = []
    for p in phone.replace("；", ";").split(";"):
        p = p.strip()
        if len(p) >= 7:
            parts.append(p[:3] + "*" * (len(p) - 7) + p[-4:])
        elif p:
            parts.append("*" * len(p))
    return ";".join(parts)


SENSITIVE_ID_FIELDS = ("id_number", "head_id_number")
SENSITIVE_PHONE_FIELDS = ("phone", "helper_phone")


def mask_field(name: str, value: str) -> str:
    if name in SENSITIVE_ID_FIELDS:
        return mask_id(value)
    if name in SENSITIVE_PHONE_FIELDS:
        return mask_phone(value)
    return value

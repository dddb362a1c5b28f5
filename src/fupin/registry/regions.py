"""Region codes (统计用区划代码): 2 province, 2 city, 2 county, 3 township, 3 village digits.

A region's subtree is every code that starts with its meaningful prefix, so a subtree query
is a range scan on the code index: cheap even over half a million villages.
"""

from __future__ import annotations

LEVEL_DIGITS = {"省": 2, "市": 4, "县": 6, "乡": 9, "村": 12}


def prefix(code: str) -> str:
    """The meaningful digits of a code: 530523000000 → 530523."""
    for digits in (2, 4, 6, 9):
        if code[digits:] == "0" * (12 - digits):
            return code[:digits]
    return code


def level_of(code: str) -> str:
    length = len(prefix(code))
    for level, digits in LEVEL_DIGITS.items():
        if digits == length:
            return level
    raise ValueError(code)


def subtree_range(code: str) -> tuple[str, str]:
    """The inclusive range of 12-digit codes inside the region (itself included)."""
    p = prefix(code)
    return p.ljust(12, "0"), p.ljust(12, "9")


def parent_code(code: str) -> str | None:
    p = prefix(code)
    for digits in (9, 6, 4, 2):
        if len(p) > digits:
            return p[:digits].ljust(12, "0")
    return None

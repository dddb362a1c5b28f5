"""Resident ID numbers (公民身份号码), GB 11643-1999.

An ID has 18 characters: a 6-digit address code (region of first registration), an
8-digit birth date YYYYMMDD, a 3-digit sequence code (odd for men, even for women) and a
check character computed by ISO 7064 MOD 11-2 over the first 17 digits (0-9 or X for 10).

`normalise` turns what people type into the canonical form (full-width digits, stray
spaces, lower-case x); `check` explains in Chinese why an ID is not valid.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass

# ISO 7064 MOD 11-2 weights: 2^(17-i) mod 11 for positions i = 0..16.
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK_CHARS = "10X98765432"  # check character for sum mod 11 = 0..10

# First two digits of the address code: the 31 provinces of the mainland (GB/T 2260).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
    }
)  # fmt: skip

EARLIEST_BIRTH = dt.date(1890, 1, 1)

_FULL_WIDTH = str.maketrans("０１２３４５６７８９ＸｘX", "0123456789XXX")


class InvalidId(ValueError):
    """The ID is not valid; str() is the reason in Chinese."""


@dataclass(frozen=True)
class ResidentId:
    number: str
    region_prefix: str
    birth_date: dt.date
    sequence: str
    sex: str  # 男 or 女


def normalise(raw: str) -> str:
    """Full-width digits to ASCII, x to X, and spaces (including full-width ones) removed."""
    text = str(raw).translate(_FULL_WIDTH)
    return "".join(text.split()).replace("\u3000", "").upper()


def check_character(first17: str) -> str:
    total = sum(map(operator.mul, map(int, first17), WEIGHTS))
    return CHECK_CHARS[total % 11]


def parse(raw: str, *, today: dt.date | None = None) -> ResidentId:
    """Validate an ID and return its parts; raise InvalidId with a Chinese reason."""
    number = normalise(raw)
    if not number:
        raise InvalidId("身份证号为空")
    if len(number) != 18:
        raise InvalidId(f"身份证号应为18位，实际为{len(number)}位")
    if not number[:17].isdigit():
        raise InvalidId("身份证号前17位应全部为数字")
    if not (number[17].isdigit() or number[17] == "X"):
        raise InvalidId("身份证号第18位校验码应为数字或X")
    if number[:2] not in PROVINCE_CODES:
        raise InvalidId(f"身份证号前两位{number[:2]}不是有效的省级行政区划代码")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidId(
            f"身份证号中的出生日期{number[6:10]}-{number[10:12]}-{number[12:14]}不存在"
        ) from None
    today = today or dt.date.today()
    if birth > today:
        raise InvalidId(f"身份证号中的出生日期{birth.isoformat()}晚于今天")
    if birth < EARLIEST_BIRTH:
        raise InvalidId(f"身份证号中的出生日期{birth.isoformat()}早于{EARLIEST_BIRTH.year}年")
    if number[14:17] == "000":
        raise InvalidId("身份证号顺序码不能为000")
    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidId(f"身份证号校验码错误：第18位应为{expected}，实际为{number[17]}")
    sex = "男" if int(number[16]) % 2 == 1 else "女"
    return ResidentId(number, number[:6], birth, number[14:17], sex)


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except InvalidId:
        return False
    return True


def explain(raw: str) -> str | None:
    """None when valid, otherwise the reason in Chinese."""
    try:
        parse(raw)
    except InvalidId as exc:
        return str(exc)
    return None


def make(region_prefix: str, birth: dt.date, sequence: int) -> str:
    """Build a valid ID; the sequence's parity carries the sex (odd 男, even 女)."""
    if len(region_prefix) != 6 or not region_prefix.isdigit():
        raise ValueError(f"region prefix must be 6 digits: {region_prefix!r}")
    if not 1 <= sequence <= 999:
        raise ValueError(f"sequence must be 1..999: {sequence}")
    first17 = f"{region_prefix}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def mask(number: str) -> str:
    """530523********0017: the region and the last four characters stay visible."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def valid_mask(numbers: list[str], *, today: dt.date | None = None) -> list[bool]:
    """For each string, whether it is already a valid ID in canonical form (vectorised).

    False means "look closer with parse()": the value may be invalid, or valid but written with
    full-width digits, spaces or a lower-case x. Used by imports of millions of rows, where a
    Python-level parse of every ID would dominate the time.
    """
    import numpy as np

    if not numbers:
        return []
    shape_ok = np.array([len(x) == 18 and x.isascii() for x in numbers])
    cleaned = (
        numbers
        if shape_ok.all()
        else [x if ok else "0" * 18 for x, ok in zip(numbers, shape_ok, strict=True)]
    )
    codes = np.frombuffer("".join(cleaned).encode("ascii"), dtype=np.uint8).reshape(
        len(numbers), 18
    )
    codes = codes.astype(np.int64)
    digits = codes - 48
    body_ok = np.asarray(((digits[:, :17] >= 0) & (digits[:, :17] <= 9)).all(axis=1))
    last = codes[:, 17]
    last_value = np.where(last == ord("X"), 10, last - 48)
    last_ok = ((last >= 48) & (last <= 57)) | (last == ord("X"))
    body = np.where(body_ok[:, None], digits[:, :17], 0)
    total = body @ np.array(WEIGHTS, dtype=np.int64)
    check_values = np.array([10 if c == "X" else int(c) for c in CHECK_CHARS])
    expected = check_values[total % 11]
    check_ok = last_value == expected
    province = body[:, 0] * 10 + body[:, 1]
    province_ok = np.isin(province, np.array(sorted(int(p) for p in PROVINCE_CODES)))
    year = body[:, 6] * 1000 + body[:, 7] * 100 + body[:, 8] * 10 + body[:, 9]
    month = body[:, 10] * 10 + body[:, 11]
    day = body[:, 12] * 10 + body[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[
        np.clip(month, 0, 12)
    ]
    month_days = month_days + ((month == 2) & leap)
    today = today or dt.date.today()
    ymd = year * 10000 + month * 100 + day
    date_ok = (
        (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= month_days)
        & (ymd >= EARLIEST_BIRTH.year * 10000 + 101)
        & (ymd <= today.year * 10000 + today.month * 100 + today.day)
    )
    sequence_ok = (body[:, 14] + body[:, 15] + body[:, 16]) > 0
    ok = shape_ok & body_ok & last_ok & check_ok & province_ok & date_ok & sequence_ok
    return [bool(x) for x in ok]

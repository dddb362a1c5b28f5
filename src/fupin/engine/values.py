"""Parse one cell of the standard format into a typed value, or say in Chinese why not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from fupin.engine import idcard
from fupin.engine.standard_format import (
    BOOL_FALSE,
    BOOL_TRUE,
    STATUS_POLICY_ENDED_SYNONYMS,
    Field,
)

Value = str | bool | int | Decimal | dt.date | None


class CellError(ValueError):
    """A cell breaks a rule of the format; str() is the rule in Chinese."""


def clean(raw: object) -> str:
    if type(raw) is str:
        text = raw.strip()
        return text.replace("\u3000", " ").strip() if "\u3000" in text else text
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw).strip().replace("\u3000", " ").strip()


def parse_cell(f: Field, raw: object) -> Value:
    """The typed value of a cell; raises CellError with the rule broken."""
    text = clean(raw)
    if not text:
        if f.required:
            raise CellError("必填项不能为空")
        return None  # an empty money field counts as 0 in the engine, but stays empty here
    parser = _PARSERS[f.type]
    value: Value = parser(f, text)  # type: ignore[assignment]
    return value


def _text(f: Field, text: str) -> str:
    return text


def _code(f: Field, text: str) -> str:
    if len(text) != 12 or not text.isdigit():
        raise CellError("区划代码应为12位数字")
    return text


def _id(f: Field, text: str) -> str:
    try:
        return idcard.parse(text).number
    except idcard.InvalidId as exc:
        raise CellError(str(exc)) from None


def _enum_value(f: Field, text: str) -> str:
    if text in f.values:
        return text
    if text in f.synonyms:
        return f.synonyms[text]
    if f.name == "status" and text in STATUS_POLICY_ENDED_SYNONYMS:
        return "已脱贫"
    if text.upper() in f.values:  # housing grade a/b/c/d
        return text.upper()
    raise CellError(f"不是允许的取值，应为：{'、'.join(f.values)}")


def _enum(f: Field, text: str) -> str:
    return _enum_value(f, text)


def _list(f: Field, text: str) -> str:
    parts = [p.strip() for p in text.replace("；", ";").replace("、", ";").split(";")]
    items: list[str] = []
    for part in parts:
        if not part:
            continue
        value = _enum_value(f, part)
        if value not in items:
            items.append(value)
    if f.max_items and len(items) > f.max_items:
        raise CellError(f"最多填写{f.max_items}项，实际{len(items)}项")
    for alone in f.exclusive:
        if alone in items and len(items) > 1:
            raise CellError(f"“{alone}”不能与其他取值同时填写")
    return ";".join(items)


def _bool(f: Field, text: str) -> bool:
    low = text.lower()
    if low in BOOL_TRUE:
        return True
    if low in BOOL_FALSE:
        return False
    raise CellError("应填“是”或“否”")


def _decimal(f: Field, text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise CellError("应为数字") from None
    if not value.is_finite():
        raise CellError("应为数字")
    return value


def _money(f: Field, text: str) -> Decimal:
    value = _decimal(f, text)
    if value < 0 and f.name not in ("business_income", "property_income"):
        raise CellError("金额不能为负数")
    return value.quantize(Decimal("0.01"))


def _percent(f: Field, text: str) -> Decimal:
    value = _decimal(f, text.rstrip("%"))
    if not Decimal(0) <= value <= Decimal(100):
        raise CellError("百分比应在0到100之间")
    return value


def _int(f: Field, text: str) -> int:
    value = _decimal(f, text)
    if value != value.to_integral_value():
        raise CellError("应为整数")
    if value < 0:
        raise CellError("不能为负数")
    return int(value)


def _year(f: Field, text: str) -> int:
    if len(text) != 4 or not text.isdigit() or not 1980 <= int(text) <= 2100:
        raise CellError("年度应为四位数字年份")
    return int(text)


def _date(f: Field, text: str) -> dt.date:
    head = text[:10].replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(head)
    except ValueError:
        raise CellError("日期应为YYYY-MM-DD格式且真实存在") from None


_PARSERS = {
    "text": _text,
    "code": _code,
    "id": _id,
    "enum": _enum,
    "list": _list,
    "bool": _bool,
    "money": _money,
    "decimal": _decimal,
    "percent": _percent,
    "int": _int,
    "year": _year,
    "date": _date,
}


def format_value(f: Field, value: Value) -> str:
    """The canonical text of a value in the standard format (what export writes)."""
    if value is None:
        return ""
    if f.type == "bool":
        return "是" if value else "否"
    if f.type == "money":
        assert isinstance(value, Decimal | int | float)
        d = Decimal(value).quantize(Decimal("0.01")).normalize()
        return format(d, "f")
    if f.type in ("decimal", "percent"):
        return format(Decimal(value).normalize(), "f")  # type: ignore[arg-type]
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# Types whose cells repeat a lot (enumerations, flags, years, amounts): their canonical text is
# cached per field, which makes a million-row import mostly dictionary look-ups.
_CACHED_TYPES = frozenset(
    {"enum", "list", "bool", "money", "decimal", "percent", "int", "year", "date", "code"}
)
_CACHE_LIMIT = 200_000


class Canonicaliser:
    """Cell text to canonical text for one field, remembering answers for repeated values."""

    def __init__(self, f: Field) -> None:
        self.field = f
        self.cached = f.type in _CACHED_TYPES
        self.answers: dict[str, str | CellError] = {}

    def __call__(self, raw: str) -> str:
        f = self.field
        text = clean(raw)
        if f.type == "text":
            if not text and f.required:
                raise CellError("必填项不能为空")
            return text
        if not self.cached:
            return format_value(f, parse_cell(f, text))
        answer = self.answers.get(text)
        if answer is None:
            try:
                answer = format_value(f, parse_cell(f, text))
            except CellError as exc:
                answer = exc
            if len(self.answers) < _CACHE_LIMIT:
                self.answers[text] = answer
                if raw != text and len(self.answers) < _CACHE_LIMIT:
                    self.answers[raw] = answer
        if isinstance(answer, CellError):
            raise answer
        return answer

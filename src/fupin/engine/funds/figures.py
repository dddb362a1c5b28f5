"""The fund figures, each from one function used by checks, pages, CLI and reports alike."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def yuan(value: Decimal | int | float | str | None) -> Decimal:
    """An amount rounded to the fen (分); None counts as 0."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    """part ÷ whole to 10 decimals (0.08 = 8 %), exact enough to compare against a limit
    (7,999.99 of 100,000 is below 8 %); None when there is no whole to divide by."""
    if whole is None or Decimal(whole) == 0:
        return None
    return (Decimal(part or 0) / Decimal(whole)).quantize(Decimal("0.0000000001"), ROUND_HALF_UP)


def carryover_rate(
    carried_over: Decimal | int | None, allocated: Decimal | int | None
) -> Decimal | None:
    """结转结余率 = 结转结余资金 ÷ 下达资金 (seed 004 item 31)."""
    return ratio(carried_over, allocated)


def reconciliation_gap(
    allocated: Decimal | int | None,
    disbursed: Decimal | int | None,
    carried_over: Decimal | int | None,
) -> Decimal:
    """下达 − 拨付 − 结转结余, to the fen: 0 when the books balance."""
    return yuan(allocated) - yuan(disbursed) - yuan(carried_over)


def integration_ratios(
    in_scope: Decimal | int | None,
    planned: Decimal | int | None,
    integrated: Decimal | int | None,
    spent: Decimal | int | None,
) -> dict[str, Decimal | None]:
    """The three ratios of seed 004 item 33.

    plan: 计划整合资金规模 ÷ 纳入整合范围的资金规模; done: 已整合 ÷ 计划整合;
    spent: 已完成支出 ÷ 计划整合.
    """
    return {
        "plan": ratio(planned, in_scope),
        "done": ratio(integrated, planned),
        "spent": ratio(spent, planned),
    }


def percent(value: Decimal | None) -> str:
    """0.0812 → 8.12%; None → —."""
    if value is None:
        return "—"
    return f"{(value * 100).quantize(CENT, ROUND_HALF_UP)}%"  # 7.99999% shows as 8.00%

"""返贫率: the one function every page, command and report takes it from.

Seed 000 item 24: from 2017 the national assessment counts the return-to-poverty rate. The
documents do not define it further; the policy parameter `return_rate_unit` chooses 户
(returned households ÷ households that ever exited) or 人 (the same in people). A household
that returned to poverty had exited before, so the denominator is the households now 已脱贫
plus those now 返贫.
"""

from __future__ import annotations

from dataclasses import dataclass

from fupin.engine.monitoring.policy import RETURN_RATE_UNITS


@dataclass(frozen=True)
class ReturnRate:
    unit: str  # 户 or 人
    returned: int
    ever_exited: int

    @property
    def percent(self) -> float | None:
        """返贫率 in percent; None when nobody has exited (no denominator)."""
        if self.ever_exited == 0:
            return None
        return 100.0 * self.returned / self.ever_exited

    def __str__(self) -> str:
        p = self.percent
        shown = "无（尚无脱贫对象）" if p is None else f"{p:.2f}%"
        return f"返贫率 {shown}（返贫{self.returned}{self.unit}÷累计脱贫{self.ever_exited}{self.unit}）"


def return_to_poverty_rate(
    *,
    exited_households: int,
    exited_people: int,
    returned_households: int,
    returned_people: int,
    unit: str,
) -> ReturnRate:
    """返贫率 from counts of households/people now 已脱贫 and now 返贫, in the policy's unit."""
    if unit not in RETURN_RATE_UNITS:
        raise ValueError(f"返贫率口径应为 {'或'.join(RETURN_RATE_UNITS)}，现为“{unit}”")
    counts = (exited_households, exited_people, returned_households, returned_people)
    if any(c < 0 for c in counts):
        raise ValueError("户数和人数不能为负")
    if unit == "户":
        return ReturnRate(unit, returned_households, exited_households + returned_households)
    return ReturnRate(unit, returned_people, exited_people + returned_people)

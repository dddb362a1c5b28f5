"""A finding: one rule broken by one subject, with the figures and the clause."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Finding:
    rule: str  # rule id in the policy file (without rule_)
    name: str  # the rule's Chinese name
    source: str  # seed file and item
    county_code: str
    subject: str  # what broke it: 项目 XM-001、2017年中央资金、某村……
    message: str  # Chinese, with the figures
    region_code: str = ""
    amount: Decimal | None = None
    values: dict[str, str] = field(default_factory=dict)

    def as_row(self) -> dict[str, str]:
        return {
            "规则": self.name,
            "规则编号": self.rule,
            "县": self.county_code,
            "地区": self.region_code,
            "对象": self.subject,
            "问题": self.message,
            "金额": "" if self.amount is None else f"{self.amount}",
            "出处": self.source,
        }

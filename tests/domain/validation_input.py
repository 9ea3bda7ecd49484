"""The order the validation tests start from: a $1,000 buy of AAPL on a $100,000 account."""

from __future__ import annotations

from decimal import Decimal as D

from pm.domain.limits import RiskLimits
from pm.domain.validation import ValidationInput

LIMITS = RiskLimits()  # 5 % position, 25 % sector, 5 % daily loss

A_SMALL_BUY = ValidationInput(
    symbol="AAPL",
    side="buy",
    qty=D(10),
    price=D(100),
    current_qty=D(0),
    equity=D(100_000),
    last_equity=D(100_000),
    buying_power=D(50_000),
    sector="Information Technology",
    other_sector_value=D(0),
    breaker_halted=False,
    breaker_reason=None,
    limits=LIMITS,
)

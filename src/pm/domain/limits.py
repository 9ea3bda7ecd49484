"""Hard risk limits (percent units) and the warning / critical ratios, shared by `pm risk`
and pre-trade validation. Defaults are the product spec's; settings override them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Limits in percent of equity (5 means 5 %); a value above a limit breaches it.

    A metric warns from ``warn_ratio`` of its limit and is critical from ``critical_ratio``
    of it (4.1 % against a 5 % limit is 82 %: a warning).
    """

    max_position_pct: Decimal = Decimal(5)
    max_sector_pct: Decimal = Decimal(25)
    max_daily_loss_pct: Decimal = Decimal(5)
    max_drawdown_pct: Decimal = Decimal(5)
    warn_ratio: Decimal = Decimal("0.8")
    critical_ratio: Decimal = Decimal("0.95")

    def __post_init__(self) -> None:
        for name in (
            "max_position_pct",
            "max_sector_pct",
            "max_daily_loss_pct",
            "max_drawdown_pct",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if not 0 < self.warn_ratio <= self.critical_ratio <= 1:
            raise ValueError("need 0 < warn_ratio <= critical_ratio <= 1")

    def warn_at(self, limit_pct: Decimal) -> Decimal:
        return limit_pct * self.warn_ratio

    def critical_at(self, limit_pct: Decimal) -> Decimal:
        return limit_pct * self.critical_ratio

"""The circuit breaker's rules: its states, and when it trips by itself.

Pure: the state is stored by an adapter (`pm.db.breaker_store`), the decisions live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pm.domain.money import round_pct

BreakerState = Literal["ACTIVE", "HALTED"]
ACTIVE: BreakerState = "ACTIVE"
HALTED: BreakerState = "HALTED"

#: The reason `pm close-all --emergency` trips the breaker with.
EMERGENCY_REASON = "emergency close-all"


@dataclass(frozen=True, slots=True)
class BreakerStatus:
    """One account's breaker. `changed_by` is "user@host"; never-tripped accounts are ACTIVE
    with no reason, no author and no time."""

    account_id: str
    state: BreakerState
    reason: str | None = None
    changed_by: str | None = None
    changed_at: datetime | None = None

    @property
    def halted(self) -> bool:
        return self.state == HALTED


def never_tripped(account_id: str) -> BreakerStatus:
    return BreakerStatus(account_id=account_id, state=ACTIVE)


def daily_loss_pct(equity: Decimal, last_equity: Decimal) -> Decimal:
    """Today's loss against the previous close, in percent (a gain is a negative loss).

    0 when there is no previous equity to compare with (a new or empty account). Not
    rounded, so a comparison with a limit is exact; `money.round_pct` is for display.
    """
    if last_equity <= 0:
        return Decimal(0)
    return (last_equity - equity) / last_equity * 100


def auto_trip_reason(
    *,
    loss_pct: Decimal,
    max_daily_loss_pct: Decimal,
    risk_level: str | None = None,
) -> str | None:
    """Why the breaker must trip by itself now, or None.

    It trips when the daily loss *exceeds* the limit (a loss of exactly the limit does not
    trip) or when the risk level is CRITICAL.
    """
    if loss_pct > max_daily_loss_pct:
        loss = round_pct(loss_pct).normalize()
        return f"daily loss {loss:f} % exceeds the {max_daily_loss_pct:f} % limit"
    if risk_level is not None and risk_level.upper() == "CRITICAL":
        return "risk level CRITICAL"
    return None

"""An in-memory broker and a stepped clock for reconciliation tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pm.domain.errors import BrokerUnavailable
from pm.domain.models import Account, Position

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


@dataclass
class SteppedClock:
    """now() returns the current time, then moves `step` forward (never stands still)."""

    at: datetime = T0
    step: timedelta = timedelta(milliseconds=1)

    def now(self) -> datetime:
        current = self.at
        self.at += self.step
        return current

    def advance(self, delta: timedelta) -> None:
        self.at += delta


def pos(symbol: str, qty: str = "10", price: str = "100", entry: str = "90") -> Position:
    q, p, e = Decimal(qty), Decimal(price), Decimal(entry)
    return Position(
        asset_id=f"id-{symbol}",
        symbol=symbol,
        qty=q,
        side="long" if q >= 0 else "short",
        asset_class="us_equity",
        avg_entry_price=e,
        current_price=p,
        market_value=q * p,
        cost_basis=q * e,
        unrealized_pl=q * (p - e),
        unrealized_pl_pct=Decimal("11.1111"),
    )


@dataclass
class MemoryBroker:
    """A Broker with a positions list you set; `down` makes every call fail like an outage."""

    account_id: str = "acct-1"
    positions: list[Position] = field(default_factory=list)
    down: bool = False
    calls: int = 0

    name = "memory"
    simulated = True

    @property
    def identity(self) -> str:
        return f"memory:{self.account_id}"

    def _check(self) -> None:
        self.calls += 1
        if self.down:
            raise BrokerUnavailable("memory broker is down", broker="memory", last_attempt=T0)

    def get_account(self) -> Account:
        self._check()
        zero = Decimal(0)
        return Account(self.account_id, "PA1", "ACTIVE", "USD", zero, zero, zero, zero, zero, zero)

    def get_positions(self) -> list[Position]:
        self._check()
        return list(self.positions)

"""In-memory stand-ins for the broker and the stores, for service and domain tests.

Each keeps what it is given and counts how often it is asked, so a test can assert on
round trips ("the breaker is read once for 300 orders") as well as on results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from pm.domain.breaker import ACTIVE, HALTED, BreakerStatus
from pm.domain.errors import BrokerUnavailable
from pm.domain.models import Account, Position
from tests.support.clocks import T0

if TYPE_CHECKING:
    from pm.domain.sectors import SectorRecord


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


class MemoryBreakers:
    """A BreakerStore; `reads` counts `get` calls."""

    def __init__(self) -> None:
        self.rows: dict[str, BreakerStatus] = {}
        self.reads = 0

    @classmethod
    def halted(cls, account_id: str, at: datetime = T0) -> MemoryBreakers:
        breakers = cls()
        breakers.trip(account_id, "test", "me@host", at)
        return breakers

    def get(self, account_id: str) -> BreakerStatus | None:
        self.reads += 1
        return self.rows.get(account_id)

    def trip(self, account_id: str, reason: str, who: str, at: datetime) -> BreakerStatus:
        current = self.rows.get(account_id)
        if current is None or not current.halted:
            self.rows[account_id] = BreakerStatus(account_id, HALTED, reason, who, at)
        return self.rows[account_id]

    def reset(self, account_id: str, who: str, at: datetime) -> BreakerStatus:
        self.rows[account_id] = BreakerStatus(account_id, ACTIVE, None, who, at)
        return self.rows[account_id]


class MemorySectors:
    """A SectorStore holding `stored` ({symbol: sector}); `asked` lists each query's symbols."""

    def __init__(self, stored: dict[str, str] | None = None) -> None:
        self.stored = dict(stored or {})
        self.asked: list[list[str]] = []

    @property
    def queries(self) -> int:
        return len(self.asked)

    def sectors_for(self, symbols: Sequence[str]) -> dict[str, str]:
        self.asked.append(list(symbols))
        return {s: self.stored[s] for s in symbols if s in self.stored}

    def import_sectors(self, records: Sequence[SectorRecord], now: datetime) -> tuple[int, int]:
        updated = sum(r.symbol in self.stored for r in records)
        self.stored.update({r.symbol: r.sector for r in records})
        return len(records) - updated, updated

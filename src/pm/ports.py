"""The interfaces services depend on; adapters in broker/, db/ and cli/ implement them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from pm.domain.breaker import BreakerStatus
from pm.domain.models import (
    Account,
    Asset,
    CloseResult,
    MarketClock,
    Order,
    OrderRequest,
    Position,
    TradingDay,
)
from pm.domain.portfolio import Snapshot
from pm.domain.risk import Alert
from pm.domain.sectors import SectorRecord


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class Broker(Protocol):
    """The brokerage account: the source of truth for positions, cash and orders.

    Every method raises `BrokerUnavailable`, `CredentialsError`, `NotFound` or `BrokerRejected`
    from `pm.domain.errors`, never a transport-specific exception.
    """

    @property
    def name(self) -> str:
        """ "alpaca" or "demo"; shown in `source.broker`."""
        ...

    @property
    def identity(self) -> str:
        """A stable, non-secret key for "this account at this broker", known before any call."""
        ...

    @property
    def simulated(self) -> bool: ...

    def get_account(self) -> Account: ...

    def get_positions(self) -> list[Position]: ...

    def get_position(self, symbol: str) -> Position: ...

    def submit_order(self, request: OrderRequest) -> Order: ...

    def get_order_by_client_id(self, client_order_id: str) -> Order | None: ...

    def close_position(
        self, symbol: str, *, qty: Decimal | None = None, percentage: Decimal | None = None
    ) -> Order: ...

    def close_all_positions(self, *, cancel_orders: bool) -> list[CloseResult]: ...

    def get_clock(self) -> MarketClock: ...

    def get_calendar(self, start: date, end: date) -> list[TradingDay]: ...

    def get_asset(self, symbol: str) -> Asset: ...


@dataclass(frozen=True, slots=True)
class PositionSync:
    """What writing fetched positions into the book changed."""

    inserted: int
    updated: int
    unchanged: int


class Repository(Protocol):
    """The local book. Each method is one transaction; a failure leaves nothing half-written."""

    def register_account(self, account_id: str, broker_identity: str, now: datetime) -> None:
        """Remember which account these credentials reach, for `--allow-stale` when offline."""
        ...

    def account_for(self, broker_identity: str) -> str | None: ...

    def realized_pl(self, account_id: str) -> Decimal | None:
        """Realized P/L from closed trades; None while the account has no trade history."""
        ...

    def save_snapshot(self, snapshot: Snapshot) -> None: ...

    def latest_snapshot(self, account_id: str) -> Snapshot | None:
        """The newest stored snapshot, with `source` as it was when taken."""
        ...

    def snapshots(
        self, account_id: str, *, since: datetime | None, limit: int | None
    ) -> list[Snapshot]:
        """Stored snapshots, newest first."""
        ...

    def sync_positions(
        self, account_id: str, positions: Sequence[Position], now: datetime
    ) -> PositionSync:
        """Insert new and update changed open positions of the account (the broker's view)."""
        ...


class WriteBehind(Protocol):
    """Runs writes after the user has their output; the process waits for them before exiting."""

    def submit(self, write: Callable[[], object]) -> None: ...


# --- Risk: sectors, market data, alerts (issue 4, first half) -------------------------------


class SectorStore(Protocol):
    """Where imported sector data lives (`universe_fundamentals`)."""

    def sectors_for(self, symbols: Sequence[str]) -> dict[str, str]:
        """Stored sector per symbol, for those of `symbols` that have one."""
        ...

    def import_sectors(self, records: Sequence[SectorRecord], now: datetime) -> tuple[int, int]:
        """Insert or update every record in ONE transaction; returns (inserted, updated)."""
        ...


class RiskStore(Protocol):
    """What `pm risk` reads and writes besides sectors."""

    def peak_equity(self, account_id: str) -> Decimal | None:
        """The highest equity among the account's stored snapshots; None without any."""
        ...

    def save_alerts(self, account_id: str, alerts: Sequence[Alert], now: datetime) -> None:
        """Store one run's alerts (one transaction)."""
        ...


@dataclass(frozen=True, slots=True)
class DailyCloses:
    """Daily closing prices per symbol, oldest first; symbols without history are absent.

    `unsupported` names symbols the source cannot give history for (crypto on the stocks
    endpoint), so a caller can say why they are missing.
    """

    closes: dict[str, list[tuple[date, Decimal]]]
    unsupported: tuple[str, ...] = ()


class MarketData(Protocol):
    """Historical prices. Raises `BrokerUnavailable` / `CredentialsError` like the Broker."""

    @property
    def name(self) -> str: ...

    def daily_closes(self, symbols: Sequence[str], start: date, end: date) -> DailyCloses:
        """Split- and dividend-adjusted daily closes for `symbols` between start and end."""
        ...


# -- circuit breaker, audit log, latest prices (pre-trade validation and closing) -------------


class BreakerStore(Protocol):
    """The persisted circuit breaker, one per account. Each method is one transaction."""

    def get(self, account_id: str) -> BreakerStatus | None:
        """The stored state; None when the account's breaker never changed (ACTIVE)."""
        ...

    def trip(self, account_id: str, reason: str, who: str, at: datetime) -> BreakerStatus:
        """HALT the account's breaker unless it already is (then the first trip stays).

        Returns the stored state afterwards; atomic against concurrent trips.
        """
        ...

    def reset(self, account_id: str, who: str, at: datetime) -> BreakerStatus:
        """Back to ACTIVE, remembering who reset it and when."""
        ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One destructive action: written as "pending" before the broker hears of it."""

    id: int
    account_id: str | None
    action: str
    arguments: dict[str, Any]
    os_user: str
    host: str
    created_at: datetime
    outcome: str  # pending, succeeded, failed, partial
    outcome_details: dict[str, Any] | None
    finished_at: datetime | None


class AuditLog(Protocol):
    """The audit trail of destructive actions (close, close-all, breaker changes, ...)."""

    def begin(
        self,
        *,
        account_id: str | None,
        action: str,
        arguments: dict[str, Any],
        os_user: str,
        host: str,
        at: datetime,
    ) -> int:
        """Write a "pending" row and commit it; returns its id."""
        ...

    def finish(self, entry_id: int, *, outcome: str, details: dict[str, Any], at: datetime) -> None:
        """Record the outcome of the action begun as `entry_id`."""
        ...

    def entries(
        self, account_id: str | None = None, *, limit: int | None = None
    ) -> list[AuditEntry]:
        """Newest first."""
        ...


class LatestPrices(Protocol):
    """The last trade price of a symbol from market data, when market data is available."""

    def latest_price(self, symbol: str) -> Decimal | None:
        """None when there is no recent trade (or no market data for the symbol)."""
        ...

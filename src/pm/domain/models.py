"""Value types the broker port speaks in. Quantities, prices and money are Decimal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

PositionSide = Literal["long", "short"]
OrderSide = Literal["buy", "sell"]
SourceType = Literal["live", "simulated", "stale"]


@dataclass(frozen=True, slots=True)
class Account:
    """The broker's view of the account at one moment."""

    account_id: str
    account_number: str
    status: str
    currency: str
    equity: Decimal
    last_equity: Decimal
    cash: Decimal
    buying_power: Decimal
    long_market_value: Decimal
    short_market_value: Decimal
    # Status flags (the broker refuses orders while any of the first three is set).
    trading_blocked: bool = False
    account_blocked: bool = False
    trade_suspended_by_user: bool = False
    shorting_enabled: bool = True
    # The pattern-day-trader fields; None where the account no longer reports them (Alpaca
    # dropped them on 2026-07-06).
    pattern_day_trader: bool | None = None
    daytrade_count: int | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """One open position as the broker reports it; a short keeps its negative qty and value."""

    asset_id: str
    symbol: str
    qty: Decimal
    side: PositionSide
    asset_class: str
    avg_entry_price: Decimal
    current_price: Decimal
    market_value: Decimal
    cost_basis: Decimal
    unrealized_pl: Decimal
    unrealized_pl_pct: Decimal
    # What is not held for open orders (signed like qty); None when the broker did not say.
    qty_available: Decimal | None = None

    @property
    def available(self) -> Decimal:
        """`qty_available`, or all of `qty` when the broker did not report it."""
        return self.qty if self.qty_available is None else self.qty_available


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A simple order; exactly one of qty and notional is set."""

    symbol: str
    side: OrderSide
    client_order_id: str
    qty: Decimal | None = None
    notional: Decimal | None = None
    type: str = "market"
    time_in_force: str = "day"
    limit_price: Decimal | None = None
    trail_percent: Decimal | None = None  # a ``trailing_stop`` order's trail


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the broker knows it."""

    id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    type: str
    status: str
    qty: Decimal | None
    notional: Decimal | None
    filled_qty: Decimal
    filled_avg_price: Decimal | None
    submitted_at: datetime | None
    filled_at: datetime | None


@dataclass(frozen=True, slots=True)
class CloseResult:
    """One symbol's outcome in a close-all (the broker answers each separately)."""

    symbol: str
    status_code: int
    order: Order | None
    error: str | None

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class CancelResult:
    """One order's outcome in a cancel-all (the broker answers each separately)."""

    order_id: str
    status_code: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class MarketClock:
    timestamp: datetime
    is_open: bool
    next_open: datetime
    next_close: datetime


@dataclass(frozen=True, slots=True)
class TradingDay:
    date: date
    open: datetime
    close: datetime


@dataclass(frozen=True, slots=True)
class Asset:
    id: str
    symbol: str
    name: str
    asset_class: str
    exchange: str
    tradable: bool
    shortable: bool
    fractionable: bool
    # crypto pairs only (None for equities): the smallest order, and the quantity step
    min_order_size: Decimal | None = None
    min_trade_increment: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something: the OS user and the host ("user@host" in breaker and audit rows)."""

    user: str
    host: str

    def __str__(self) -> str:
        return f"{self.user}@{self.host}"


@dataclass(frozen=True, slots=True)
class Source:
    """Where displayed data came from, so nothing stale passes for live."""

    type: SourceType
    broker: str
    fetched_at: datetime

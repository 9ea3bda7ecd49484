"""Dust filtering and the portfolio snapshot arithmetic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pm.domain.models import Account, Position, Source
from pm.domain.money import pct

DUST_QTY = Decimal("0.0001")


def holding_key(symbol: str) -> str:
    """One spelling per holding: ``BTC/USD`` (orders) and ``BTCUSD`` (positions) are the same."""
    return symbol.strip().upper().replace("/", "")


def is_dust(position: Position) -> bool:
    """Leftovers below a ten-thousandth of a share or coin are noise, not holdings."""
    return abs(position.qty) < DUST_QTY


def drop_dust(positions: Iterable[Position]) -> list[Position]:
    # `is_dust` inline: one call fewer per position (100,000 of them in a large account)
    return [p for p in positions if not abs(p.qty) < DUST_QTY]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Account figures and P/L at one moment, with the positions they were computed from."""

    account_id: str
    equity: Decimal
    last_equity: Decimal
    cash: Decimal
    buying_power: Decimal
    long_market_value: Decimal
    short_market_value: Decimal
    daily_pl: Decimal
    daily_pl_pct: Decimal | None
    unrealized_pl: Decimal
    realized_pl: Decimal
    realized_pl_available: bool
    total_pl: Decimal
    positions_count: int
    long_count: int
    short_count: int
    timestamp: datetime
    source: Source
    positions: tuple[Position, ...]
    #: The oldest activity of the trade ledger realized P/L is computed from (None: not from
    #: the ledger, or the ledger is empty).
    realized_pl_from: datetime | None = None


def build_snapshot(
    account: Account,
    positions: Iterable[Position],
    *,
    realized_pl: Decimal | None,
    source: Source,
    realized_pl_from: datetime | None = None,
) -> Snapshot:
    """Compute the snapshot; `realized_pl` None means no trade history exists yet (shown as 0)."""
    held = tuple(drop_dust(positions))
    daily_pl = account.equity - account.last_equity
    unrealized = sum((p.unrealized_pl for p in held), Decimal(0))
    realized = realized_pl if realized_pl is not None else Decimal(0)
    long_count = sum(1 for p in held if p.side == "long")
    return Snapshot(
        account_id=account.account_id,
        equity=account.equity,
        last_equity=account.last_equity,
        cash=account.cash,
        buying_power=account.buying_power,
        long_market_value=account.long_market_value,
        short_market_value=account.short_market_value,
        daily_pl=daily_pl,
        daily_pl_pct=pct(daily_pl, account.last_equity),
        unrealized_pl=unrealized,
        realized_pl=realized,
        realized_pl_available=realized_pl is not None,
        total_pl=realized + unrealized,
        positions_count=len(held),
        long_count=long_count,
        short_count=len(held) - long_count,
        timestamp=source.fetched_at,
        source=source,
        positions=held,
        realized_pl_from=realized_pl_from,
    )

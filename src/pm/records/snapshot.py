"""Account snapshots (`pm snapshot`, `pm history`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pm.domain.portfolio import Snapshot
from pm.records.common import pct, source

#: `pm history --csv` (the stored positions are in --json only).
HISTORY_COLUMNS = (
    "account_id",
    "timestamp",
    "equity",
    "last_equity",
    "cash",
    "daily_pl",
    "daily_pl_pct",
    "unrealized_pl",
    "realized_pl",
    "total_pl",
    "positions_count",
    "source",
)


def snapshot(s: Snapshot, age: timedelta | None = None) -> dict[str, Any]:
    """The snapshot fields (`pm snapshot`; each `pm history` row has them too)."""
    return {
        "account_id": s.account_id,
        "equity": s.equity,
        "last_equity": s.last_equity,
        "cash": s.cash,
        "buying_power": s.buying_power,
        "long_market_value": s.long_market_value,
        "short_market_value": s.short_market_value,
        "daily_pl": s.daily_pl,
        "daily_pl_pct": pct(s.daily_pl_pct),
        "unrealized_pl": s.unrealized_pl,
        "realized_pl": s.realized_pl,
        "realized_pl_available": s.realized_pl_available,
        "realized_pl_from": s.realized_pl_from,
        "total_pl": s.total_pl,
        "positions_count": s.positions_count,
        "long_count": s.long_count,
        "short_count": s.short_count,
        "timestamp": s.timestamp,
        "source": source(s.source, age),
    }


def stored(s: Snapshot) -> dict[str, Any]:
    """A stored snapshot: the snapshot fields plus what the account held then."""
    return {
        **snapshot(s),
        "positions": [
            {"symbol": p.symbol, "qty": p.qty, "side": p.side, "market_value": p.market_value}
            for p in s.positions
        ],
    }

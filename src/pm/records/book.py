"""Rows of the book, the local positions table (`pm book`)."""

from __future__ import annotations

from typing import Any

from pm.domain.book import BookEntry
from pm.records.common import pct

COLUMNS = (
    "account_id",
    "id",
    "symbol",
    "qty",
    "side",
    "asset_class",
    "avg_entry_price",
    "current_price",
    "market_value",
    "cost_basis",
    "unrealized_pl",
    "unrealized_pl_pct",
    "strategy_id",
    "status",
    "opened_at",
    "updated_at",
    "closed_at",
)


def entry(e: BookEntry) -> dict[str, Any]:
    return {
        "account_id": e.account_id,
        "id": e.id,
        "symbol": e.symbol,
        "qty": e.qty,
        "side": e.side,
        "asset_class": e.asset_class,
        "avg_entry_price": e.avg_entry_price,
        "current_price": e.current_price,
        "market_value": e.market_value,
        "cost_basis": e.cost_basis,
        "unrealized_pl": e.unrealized_pl,
        "unrealized_pl_pct": pct(e.unrealized_pl_pct),
        "strategy_id": e.strategy_id,
        "status": "open" if e.is_open else "closed",
        "opened_at": e.opened_at,
        "updated_at": e.updated_at,
        "closed_at": e.closed_at,
    }

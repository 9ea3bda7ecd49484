"""Live positions (`pm positions`, `pm positions show`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pm.domain.models import Position, Source
from pm.records.common import pct, source

COLUMNS = (
    "account_id",
    "asset_id",
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
    "fetched_at",
    "source",
)


def position(p: Position, src: Source, account_id: str) -> dict[str, Any]:
    return _record(p, source(src), src, account_id)


def positions(held: Iterable[Position], src: Source, account_id: str) -> Iterator[dict[str, Any]]:
    """The records of a list, made as they are written; one `source` object serves every row,
    so a 100k-row answer encodes it once."""
    shared = source(src)
    return (_record(p, shared, src, account_id) for p in held)


def _record(p: Position, shared: dict[str, Any], src: Source, account_id: str) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "asset_id": p.asset_id,
        "symbol": p.symbol,
        "qty": p.qty,
        "side": p.side,
        "asset_class": p.asset_class,
        "avg_entry_price": p.avg_entry_price,
        "current_price": p.current_price,
        "market_value": p.market_value,
        "cost_basis": p.cost_basis,
        "unrealized_pl": p.unrealized_pl,
        "unrealized_pl_pct": pct(p.unrealized_pl_pct),
        "fetched_at": src.fetched_at,
        "source": shared,
    }

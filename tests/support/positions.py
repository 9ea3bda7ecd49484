"""One builder for broker positions whose figures agree with each other."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pm.domain.models import Position

Number = str | int | Decimal


def position(
    symbol: str = "AAPL",
    qty: Number = "10",
    price: Number = "100",
    entry: Number | None = None,
    **overrides: Any,
) -> Position:
    """A position of `qty` (negative: short) at `price`, bought at `entry` (default: `price`).

    Market value, cost basis and unrealized P/L (and its percent, 4 places) follow from them;
    any field can be overridden by name.
    """
    q, p = Decimal(str(qty)), Decimal(str(price))
    e = p if entry is None else Decimal(str(entry))
    basis, pl = q * e, q * (p - e)
    pct = (pl / abs(basis) * 100).quantize(Decimal("0.0001")) if basis else Decimal(0)
    fields: dict[str, Any] = {
        "asset_id": f"id-{symbol}",
        "symbol": symbol,
        "qty": q,
        "side": "long" if q >= 0 else "short",
        "asset_class": "us_equity",
        "avg_entry_price": e,
        "current_price": p,
        "market_value": q * p,
        "cost_basis": basis,
        "unrealized_pl": pl,
        "unrealized_pl_pct": pct,
    }
    fields.update(overrides)
    return Position(**fields)

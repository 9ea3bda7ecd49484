"""The positions book edited by hand (`pm book`): its row type and the input rules.

Quantities follow the broker's convention: a short is stored with a negative quantity and
side "short". On input, ``qty`` is the size (always > 0) and ``side`` says which way; so
``--qty 10 --side short`` stores -10. Prices must be numbers > 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pm.domain.errors import BadInput
from pm.domain.models import PositionSide
from pm.domain.money import parse_input
from pm.domain.portfolio import holding_key
from pm.domain.sectors import is_crypto

#: An equity ticker (BRK.B, AAPL) or a crypto pair (BTC/USD, BTCUSD); upper-cased first.
SYMBOL_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{0,11}(?:[./][A-Z0-9]{1,6})?$")
MANUAL_ASSET_ID = "manual"


@dataclass(frozen=True, slots=True)
class BookEntry:
    """One row of the `positions` table, as `pm book` shows it."""

    id: int
    account_id: str
    symbol: str
    qty: Decimal
    side: str
    asset_class: str
    avg_entry_price: Decimal
    current_price: Decimal
    market_value: Decimal
    cost_basis: Decimal
    unrealized_pl: Decimal
    unrealized_pl_pct: Decimal
    strategy_id: str | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True, slots=True)
class NewBookEntry:
    symbol: str
    qty: Decimal  # signed: negative for a short
    side: PositionSide
    entry_price: Decimal
    strategy_id: str | None
    opened_at: datetime | None


@dataclass(frozen=True, slots=True)
class BookChanges:
    """What `pm book edit` changes; None leaves a field as it is ("" clears strategy_id)."""

    qty: Decimal | None = None  # signed, like NewBookEntry.qty
    side: PositionSide | None = None
    entry_price: Decimal | None = None
    strategy_id: str | None = None
    opened_at: datetime | None = None

    @property
    def empty(self) -> bool:
        return all(
            v is None
            for v in (self.qty, self.side, self.entry_price, self.strategy_id, self.opened_at)
        )


def parse_symbol(text: str) -> str:
    """A symbol as the book keeps it: the broker's position spelling (`holding_key`), so a
    pair typed as ``BTC/USD`` or ``btcusd`` is the ``BTCUSD`` the broker reports."""
    if not SYMBOL_PATTERN.match(text.strip().upper()):
        raise BadInput(
            f"--symbol {text[:40]!r} is not a symbol (a ticker like AAPL or BRK.B, "
            "or a crypto pair like BTC/USD)"
        )
    return holding_key(text)


def parse_side(text: str | None) -> PositionSide | None:
    if text is None:
        return None
    side = text.strip().lower()
    if side == "long":
        return "long"
    if side == "short":
        return "short"
    raise BadInput(f"--side {text!r} must be long or short")


def parse_size(text: str) -> Decimal:
    """The --qty option: a size > 0 (the side gives the sign)."""
    try:
        value = parse_input(text, "--qty")
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if value <= 0:
        raise BadInput(
            f"--qty {text} must be greater than 0 (it is the size; use --side short for a short)"
        )
    return value


def parse_price(text: str, option: str = "--entry-price") -> Decimal:
    try:
        value = parse_input(text, option)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if value <= 0:
        raise BadInput(f"{option} {text} must be greater than 0")
    return value


MAX_STRATEGY_ID = 64  # the column's width


def parse_strategy_id(text: str | None) -> str | None:
    """--strategy-id: at most MAX_STRATEGY_ID characters ("" clears it on edit)."""
    if text is not None and len(text.strip()) > MAX_STRATEGY_ID:
        raise BadInput(f"--strategy-id is longer than {MAX_STRATEGY_ID} characters")
    return None if text is None else text.strip()


def signed(size: Decimal, side: PositionSide) -> Decimal:
    return -size if side == "short" else size


def asset_class_of(symbol: str) -> str:
    return "crypto" if is_crypto(symbol) else "us_equity"


def valuation(qty: Decimal, entry: Decimal, price: Decimal) -> dict[str, Decimal]:
    """market value, cost basis and unrealized P/L of a row, the broker's way (signed qty)."""
    value = qty * price
    basis = qty * entry
    pl = value - basis
    pl_pct = (pl / abs(basis) * 100).quantize(Decimal("0.0001")) if basis else Decimal(0)
    return {
        "market_value": value,
        "cost_basis": basis,
        "unrealized_pl": pl,
        "unrealized_pl_pct": pl_pct,
    }

"""Tax lots from fills, matched first in, first out per symbol (as Alpaca relieves them).

A fill in the direction of the symbol's open lots (or on a flat symbol) opens a lot; a fill
the other way closes the oldest lots first, and what is left of it after the lots run out
opens a lot on the other side (a sell larger than the long turns short). Quantities and P/L
stay exact Decimals; round only for display.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pm.domain.ledger import Fill
from pm.domain.models import PositionSide

Term = Literal["short", "long"]


def long_term_from(opened: date) -> date:
    """The first day a lot opened on `opened` is held for more than one year."""
    try:
        anniversary = opened.replace(year=opened.year + 1)
    except ValueError:  # opened on 29 February
        return date(opened.year + 1, 3, 1)
    return date.fromordinal(anniversary.toordinal() + 1)


@dataclass(frozen=True, slots=True)
class OpenLot:
    """What is left of one opening fill."""

    symbol: str
    side: PositionSide
    qty: Decimal
    price: Decimal
    opened_at: datetime
    fill_id: str

    @property
    def cost(self) -> Decimal:
        return self.qty * self.price


@dataclass(frozen=True, slots=True)
class ClosedLot:
    """One opening fill's quantity (or part of it) and the closing fill that ended it."""

    symbol: str
    side: PositionSide
    qty: Decimal
    open_price: Decimal
    close_price: Decimal
    opened_at: datetime
    closed_at: datetime
    open_fill_id: str
    close_fill_id: str

    @property
    def realized_pl(self) -> Decimal:
        move = self.close_price - self.open_price
        return (move if self.side == "long" else -move) * self.qty

    @property
    def holding_days(self) -> int:
        return (self.closed_at.date() - self.opened_at.date()).days

    @property
    def term(self) -> Term:
        return "long" if self.closed_at.date() >= long_term_from(self.opened_at.date()) else "short"


@dataclass(frozen=True, slots=True)
class Lots:
    open: tuple[OpenLot, ...]
    closed: tuple[ClosedLot, ...]

    @property
    def realized_pl(self) -> Decimal:
        return sum((lot.realized_pl for lot in self.closed), Decimal(0))


def match_fifo(fills: Iterable[Fill]) -> Lots:
    """Open and closed lots of `fills` (any order: they are sorted by time, then id)."""
    queues: dict[str, deque[OpenLot]] = {}
    closed: list[ClosedLot] = []
    for fill in sorted(fills, key=lambda f: (f.transaction_time, f.fill_id)):
        queue = queues.setdefault(fill.symbol, deque())
        side: PositionSide = "long" if fill.side == "buy" else "short"
        left = fill.qty
        while left > 0 and queue and queue[0].side != side:
            lot = queue[0]
            taken = min(lot.qty, left)
            closed.append(
                ClosedLot(
                    symbol=fill.symbol,
                    side=lot.side,
                    qty=taken,
                    open_price=lot.price,
                    close_price=fill.price,
                    opened_at=lot.opened_at,
                    closed_at=fill.transaction_time,
                    open_fill_id=lot.fill_id,
                    close_fill_id=fill.fill_id,
                )
            )
            left -= taken
            if taken == lot.qty:
                queue.popleft()
            else:
                queue[0] = OpenLot(
                    lot.symbol, lot.side, lot.qty - taken, lot.price, lot.opened_at, lot.fill_id
                )
        if left > 0:
            queue.append(
                OpenLot(fill.symbol, side, left, fill.price, fill.transaction_time, fill.fill_id)
            )
    open_lots = tuple(lot for queue in queues.values() for lot in queue)
    return Lots(open=open_lots, closed=tuple(closed))

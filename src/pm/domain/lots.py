"""Tax lots from fills, matched first in, first out per symbol (as Alpaca relieves them).

A fill in the direction of the symbol's open lots (or on a flat symbol) opens a lot; a fill
the other way closes the oldest lots first, and what is left of it after the lots run out
opens a lot on the other side (a sell larger than the long turns short). Quantities and P/L
stay exact Decimals; round only for display.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Literal

from pm.domain.frozen import constructor
from pm.domain.gc_pause import gc_paused
from pm.domain.ledger import Fill, FillSource
from pm.domain.market_calendar import trade_date
from pm.domain.models import OrderSide, PositionSide

Term = Literal["short", "long"]

_ZERO = Decimal(0)
#: The side of the lot an opening fill starts.
_LOT_SIDE: dict[OrderSide, PositionSide] = {"buy": "long", "sell": "short"}


def long_term_from(opened: date) -> date:
    """The first day a lot opened on `opened` is held for more than one year."""
    try:
        anniversary = opened.replace(year=opened.year + 1)
    except ValueError:  # opened on 29 February
        return date(opened.year + 1, 3, 1)
    return date.fromordinal(anniversary.toordinal() + 1)


def term_of(side: PositionSide, opened_at: datetime, day: date) -> Term:
    """The term of a lot's gain when closed on the trade date `day`: long once held more than
    a year; a short lot's gain is always short term."""
    if side != "long":
        return "short"
    return "long" if day >= long_term_from(trade_date(opened_at)) else "short"


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
        return (trade_date(self.closed_at) - trade_date(self.opened_at)).days

    @property
    def term(self) -> Term:
        return term_of(self.side, self.opened_at, trade_date(self.closed_at))


_new_open = constructor(OpenLot)
_new_closed = constructor(ClosedLot)


@dataclass(frozen=True, slots=True)
class Lots:
    open: tuple[OpenLot, ...]
    closed: tuple[ClosedLot, ...]

    @property
    def realized_pl(self) -> Decimal:
        return sum((lot.realized_pl for lot in self.closed), Decimal(0))


#: A `Fill`'s fields as a tuple, in its order: what the store reads, and what FIFO matches
#: (`match_fifo_rows`), so that 100,000 fills need no `Fill` record in between.
FillRow = tuple[str, str, OrderSide, Decimal, Decimal, datetime, FillSource, str | None]
_FILL_FIELDS = attrgetter(*(f.name for f in fields(Fill)))


def _time_ordered(rows: list[FillRow]) -> list[FillRow]:
    """`rows` by time, then id; a list already in that order (what the store reads) is
    used as it is, after one pass that checks it."""
    previous: FillRow | None = None
    for row in rows:
        if previous is not None and (
            row[5] < previous[5] or (row[5] == previous[5] and row[0] < previous[0])
        ):
            return sorted(rows, key=lambda r: (r[5], r[0]))
        previous = row
    return rows


def match_fifo(fills: Iterable[Fill]) -> Lots:
    """Open and closed lots of `fills` (any order: they are sorted by time, then id)."""
    with gc_paused():
        return _match(_time_ordered(list(map(_FILL_FIELDS, fills))))


def match_fifo_rows(rows: list[FillRow]) -> Lots:
    """`match_fifo` of fills given as `FillRow` tuples (any order, as there)."""
    with gc_paused():
        return _match(_time_ordered(rows))


def _match(fills: list[FillRow]) -> Lots:
    # A symbol's queue holds its open lots, oldest first, each as (opening fill, quantity
    # left): all on one side, since a fill the other way closes lots before it opens one.
    queues: dict[str, deque[tuple[FillRow, Decimal]]] = {}
    closed: list[ClosedLot] = []
    add_closed = closed.append
    new_closed = _new_closed
    lot_side = _LOT_SIDE
    zero = _ZERO
    for fill in fills:
        symbol = fill[1]
        queue = queues.get(symbol)
        if queue is None:
            queue = queues[symbol] = deque()
        left = fill[3]
        if left > zero and queue and queue[0][0][2] != fill[2]:
            # the oldest lots of the other side first, each closed in full or in part
            fill_id, _, _, _, price, at, _, _ = fill
            side = lot_side[queue[0][0][2]]
            while True:
                opening, taken = queue[0]
                if taken <= left:
                    queue.popleft()
                else:
                    queue[0] = (opening, taken - left)
                    taken = left
                add_closed(
                    new_closed(
                        symbol, side, taken, opening[4], price, opening[5], at, opening[0], fill_id
                    )
                )
                left -= taken
                if not (left > zero and queue):
                    break
        if left > zero:
            queue.append((fill, left))
    new_open = _new_open
    open_lots = tuple(
        new_open(symbol, lot_side[side], left, price, at, fill_id)
        for queue in queues.values()
        for (fill_id, symbol, side, _, price, at, _, _), left in queue
    )
    return Lots(open=open_lots, closed=tuple(closed))

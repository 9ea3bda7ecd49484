"""Tax awareness as pure functions: open lots valued at a price, the wash-sale window, the
loss a harvest would realize, and the realized gain of a sell as the broker relieves lots
(first in, first out, Alpaca's default).

Definitions (US rules, simplified; pm estimates, it does not file taxes):

- **Trade date**: the New York calendar date of a fill (`trade_date`).
- **Term**: a lot held more than one year is long term from `pm.domain.lots.long_term_from`
  (the day after the anniversary of its trade date); a short lot's gain is short term.
- **Wash sale**: a sale at a loss is a wash sale when the same symbol is bought within
  `WASH_SALE_DAYS` calendar days before or after it: day 30 is inside the window, day 31
  outside. The loss is then disallowed. pm counts every buy fill of the symbol in the window
  (the lot being sold included, when it was bought within the window), and, for a sale to
  come, the open buy orders of the symbol.
- **Harvest**: selling, at a loss, the lots the broker would relieve first. Because the broker
  relieves the oldest lots first, what a harvest can realize is the best (most negative)
  cumulative P/L over the symbol's oldest lots (`harvest`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from pm.domain.ledger import Fill
from pm.domain.lots import ClosedLot, OpenLot, Term, long_term_from, term_of
from pm.domain.market_calendar import trade_date
from pm.domain.portfolio import holding_key
from pm.domain.rebalance import to_step

WASH_SALE_DAYS = 30
ZERO = Decimal(0)


def in_wash_window(buy_day: date, sale_day: date) -> bool:
    """Whether a buy on `buy_day` falls in the wash-sale window of a sale on `sale_day`:
    30 calendar days before or after it (day 30 in, day 31 out)."""
    return abs((buy_day - sale_day).days) <= WASH_SALE_DAYS


def window(sale_day: date) -> tuple[date, date]:
    """The first and last day of the wash-sale window of a sale on `sale_day`."""
    span = timedelta(days=WASH_SALE_DAYS)
    return sale_day - span, sale_day + span


def lot_term(lot: OpenLot, today: date) -> Term:
    """The term of `lot`'s gain if it were closed `today` (a short lot's: short)."""
    return term_of(lot.side, lot.opened_at, today)


@dataclass(frozen=True, slots=True)
class TaxLot:
    """An open lot valued at the position's current price (None when pm has no price)."""

    lot: OpenLot
    price: Decimal | None
    today: date

    @property
    def cost(self) -> Decimal:
        return self.lot.cost

    @property
    def market_value(self) -> Decimal | None:
        return None if self.price is None else self.lot.qty * self.price

    @property
    def unrealized_gain(self) -> Decimal | None:
        if self.price is None:
            return None
        move = self.price - self.lot.price
        return (move if self.lot.side == "long" else -move) * self.lot.qty

    @property
    def holding_days(self) -> int:
        return (self.today - trade_date(self.lot.opened_at)).days

    @property
    def term(self) -> Term:
        return lot_term(self.lot, self.today)

    @property
    def long_term_from(self) -> date | None:
        """The day the lot becomes long term (None for a short lot: always short term)."""
        if self.lot.side != "long":
            return None
        return long_term_from(trade_date(self.lot.opened_at))

    @property
    def days_to_long_term(self) -> int | None:
        starts = self.long_term_from
        return None if starts is None else max(0, (starts - self.today).days)


def value_lots(lots: Iterable[OpenLot], prices: Mapping[str, Decimal], today: date) -> list[TaxLot]:
    """Each lot with the price of its symbol (keyed by `holding_key`), oldest first."""
    ordered = sorted(lots, key=lambda lot: (lot.symbol, lot.opened_at, lot.fill_id))
    return [TaxLot(lot, prices.get(holding_key(lot.symbol)), today) for lot in ordered]


# -- the realized gain of a sell ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RealizedEstimate:
    """What selling `qty` at `price` realizes from the lots the broker relieves first.
    `covered` is the part of `qty` the ledger's lots account for (the rest is unknown)."""

    qty: Decimal
    covered: Decimal
    short_term: Decimal
    long_term: Decimal

    @property
    def total(self) -> Decimal:
        return self.short_term + self.long_term

    @property
    def complete(self) -> bool:
        return self.covered >= self.qty


def fifo_long_lots(lots: Iterable[OpenLot], symbol: str) -> list[OpenLot]:
    """The long lots of `symbol` in the order the broker relieves them (oldest first)."""
    key = holding_key(symbol)
    return sorted(
        (lot for lot in lots if lot.side == "long" and holding_key(lot.symbol) == key),
        key=lambda lot: (lot.opened_at, lot.fill_id),
    )


def estimate_sell(
    lots: Sequence[OpenLot], qty: Decimal, price: Decimal, today: date
) -> RealizedEstimate:
    """The realized gain of selling `qty` at `price`, relieving `lots` (FIFO order) first."""
    left = qty
    short = long_ = ZERO
    for lot in lots:
        if left <= 0:
            break
        taken = min(lot.qty, left)
        gain = (price - lot.price) * taken
        if lot_term(lot, today) == "long":
            long_ += gain
        else:
            short += gain
        left -= taken
    return RealizedEstimate(qty, qty - max(left, ZERO), short, long_)


def best_trim(
    lots: Sequence[OpenLot],
    least: Decimal,
    most: Decimal,
    price: Decimal,
    today: date,
    step: Decimal,
) -> Decimal:
    """The quantity in [`least`, `most`] (on multiples of `step`) whose sale realizes the
    smallest short-term gain from `lots` (FIFO order); among equals the largest (closest to
    the target). Losses and long-term gains are what a trim should realize; short-term
    gains are what it should leave for later. `least` and `most` are on `step` already."""
    candidates = {least, most}
    position = ZERO
    for lot in lots:
        position += lot.qty
        if least < position < most:
            candidates.add(max(least, to_step(position, step, up=False)))
    best = most
    best_cost = estimate_sell(lots, most, price, today).short_term
    for qty in sorted(candidates, reverse=True):
        cost = estimate_sell(lots, qty, price, today).short_term
        if cost < best_cost:
            best, best_cost = qty, cost
    return best


# -- wash sales -------------------------------------------------------------------------------


def loss_sales(closed: Iterable[ClosedLot], symbol: str) -> list[ClosedLot]:
    """Closed long lots of `symbol` that realized a loss, newest sale first."""
    key = holding_key(symbol)
    return sorted(
        (
            c
            for c in closed
            if holding_key(c.symbol) == key and c.side == "long" and c.realized_pl < 0
        ),
        key=lambda c: c.closed_at,
        reverse=True,
    )


@dataclass(frozen=True, slots=True)
class WashSale:
    """A buy on `buy_day` that falls in the window of a loss sale on `sale_day`."""

    symbol: str
    sale_day: date
    buy_day: date
    loss: Decimal  # the sale's realized P/L (negative)

    @property
    def days(self) -> int:
        return (self.buy_day - self.sale_day).days

    def sentence(self) -> str:
        return (
            f"wash sale: {self.symbol} was sold at a loss of {-self.loss:,.2f} on "
            f"{self.sale_day.isoformat()} ({self.days} days before); a buy within "
            f"{WASH_SALE_DAYS} days disallows that loss"
        )


def wash_sale_of_buy(closed: Iterable[ClosedLot], symbol: str, buy_day: date) -> WashSale | None:
    """The loss sale of `symbol` a buy on `buy_day` would wash (the most recent one within
    the window before it), or None."""
    by_day: dict[date, Decimal] = {}
    for c in loss_sales(closed, symbol):
        day = trade_date(c.closed_at)
        if day <= buy_day and in_wash_window(buy_day, day):
            by_day[day] = by_day.get(day, ZERO) + c.realized_pl
    if not by_day:
        return None
    day = max(by_day)
    return WashSale(holding_key(symbol), day, buy_day, by_day[day])


def buys_in_window(fills: Iterable[Fill], symbol: str, sale_day: date) -> list[Fill]:
    """Buy fills of `symbol` in the wash-sale window of a sale on `sale_day`."""
    key = holding_key(symbol)
    return [
        f
        for f in fills
        if f.side == "buy"
        and holding_key(f.symbol) == key
        and in_wash_window(trade_date(f.transaction_time), sale_day)
    ]


# -- harvesting -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Harvest:
    """Selling `qty` of `symbol` (its oldest lots, as the broker relieves them) at `price`."""

    symbol: str
    qty: Decimal
    lots: tuple[OpenLot, ...]
    price: Decimal
    estimate: RealizedEstimate
    sale_day: date
    recent_buys: tuple[Fill, ...]  # buys in the window before the sale (wash sales)
    open_buy_orders: int = 0  # open buy orders of the symbol at the broker (future buys)

    @property
    def cost(self) -> Decimal:
        taken = ZERO
        cost = ZERO
        for lot in self.lots:
            part = min(lot.qty, self.qty - taken)
            cost += part * lot.price
            taken += part
        return cost

    @property
    def proceeds(self) -> Decimal:
        return self.qty * self.price

    @property
    def wash_sale(self) -> bool:
        return bool(self.recent_buys) or self.open_buy_orders > 0

    @property
    def window(self) -> tuple[date, date]:
        return window(self.sale_day)

    @property
    def buy_again_from(self) -> date:
        """The first day a buy of the symbol no longer washes this sale."""
        return self.sale_day + timedelta(days=WASH_SALE_DAYS + 1)

    def why_wash(self) -> str | None:
        if self.recent_buys:
            last = max(self.recent_buys, key=lambda f: f.transaction_time)
            day = trade_date(last.transaction_time)
            return (
                f"bought {last.qty.normalize():f} on {day.isoformat()} "
                f"({(self.sale_day - day).days} days before the sale)"
            )
        if self.open_buy_orders:
            return f"{self.open_buy_orders} open buy order(s) of {self.symbol}"
        return None


def harvest(
    lots: Sequence[OpenLot],
    price: Decimal,
    today: date,
    fills: Iterable[Fill],
    *,
    held_qty: Decimal | None = None,
    open_buy_orders: int = 0,
) -> Harvest | None:
    """The harvest of one symbol: its oldest long lots whose cumulative P/L at `price` is the
    most negative (None when no prefix loses). `held_qty` (what the broker holds) caps it."""
    if not lots:
        return None
    symbol = holding_key(lots[0].symbol)
    best_qty, best_pl = ZERO, ZERO
    running_qty, running_pl = ZERO, ZERO
    cap = held_qty if held_qty is not None else sum((lot.qty for lot in lots), ZERO)
    for lot in lots:
        take = min(lot.qty, cap - running_qty)
        if take <= 0:
            break
        running_qty += take
        running_pl += (price - lot.price) * take
        if running_pl < best_pl:
            best_qty, best_pl = running_qty, running_pl
    if best_qty <= 0:
        return None
    used = tuple(fifo_prefix(lots, best_qty))
    return Harvest(
        symbol=symbol,
        qty=best_qty,
        lots=used,
        price=price,
        estimate=estimate_sell(lots, best_qty, price, today),
        sale_day=today,
        recent_buys=tuple(buys_in_window(fills, symbol, today)),
        open_buy_orders=open_buy_orders,
    )


def fifo_prefix(lots: Sequence[OpenLot], qty: Decimal) -> list[OpenLot]:
    """The lots (oldest first) that selling `qty` relieves, whole or in part."""
    out: list[OpenLot] = []
    taken = ZERO
    for lot in lots:
        if taken >= qty:
            break
        out.append(lot)
        taken += lot.qty
    return out

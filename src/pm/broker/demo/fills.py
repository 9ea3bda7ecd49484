"""How a market fill changes the demo account's state: pure arithmetic, no store, no clock."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from pm.broker.demo.universe import Instrument
from pm.domain.models import OrderSide
from pm.domain.money import CENT
from pm.ports import DemoHolding, DemoState

QTY_PLACES = Decimal("0.000000001")  # Alpaca's min_trade_increment for fractional quantities
AVG_PLACES = Decimal("0.000000001")


def signed_qty(side: OrderSide, qty: Decimal) -> Decimal:
    return qty if side == "buy" else -qty


def held_qty(state: DemoState, symbol: str) -> Decimal:
    holding = state.holdings.get(symbol)
    return holding.qty if holding is not None else Decimal(0)


def opening_qty(held: Decimal, side: OrderSide, qty: Decimal) -> Decimal:
    """The part of an order that opens or adds exposure (what needs buying power).

    Buying against a short first covers it, selling against a long first reduces it; only the
    remainder beyond zero opens a new position.
    """
    delta = signed_qty(side, qty)
    if held == 0 or (held > 0) == (delta > 0):
        return qty
    return max(Decimal(0), qty - abs(held))


def apply_fill(
    state: DemoState, instrument: Instrument, side: OrderSide, qty: Decimal, price: Decimal
) -> None:
    """Fill `qty` at `price`: move the cash (to the cent) and update or remove the holding.

    Adding to a position recomputes the average entry price; reducing keeps it; crossing zero
    opens the other side at the fill price.
    """
    delta = signed_qty(side, qty)
    state.cash -= (delta * price).quantize(CENT, rounding=ROUND_HALF_EVEN)
    old = state.holdings.get(instrument.symbol)
    old_qty = old.qty if old is not None else Decimal(0)
    new_qty = old_qty + delta
    if new_qty == 0:
        state.holdings.pop(instrument.symbol, None)
        return
    if old is None or old_qty == 0 or (old_qty > 0) != (new_qty > 0):
        avg = price
    elif abs(new_qty) > abs(old_qty):
        total = abs(old_qty) * old.avg_entry_price + qty * price
        avg = (total / abs(new_qty)).quantize(AVG_PLACES, rounding=ROUND_HALF_EVEN)
    else:
        avg = old.avg_entry_price
    state.holdings[instrument.symbol] = DemoHolding(
        symbol=instrument.symbol,
        asset_id=instrument.asset_id,
        asset_class=instrument.asset_class,
        qty=new_qty,
        avg_entry_price=avg,
    )

"""Order arithmetic every order path shares: signed quantities and what reduces a position."""

from __future__ import annotations

from decimal import Decimal

from pm.domain.models import OrderSide


def signed(side: OrderSide, qty: Decimal) -> Decimal:
    """The change an order makes to a position: + for a buy, - for a sell."""
    return qty if side == "buy" else -qty


def resulting_qty(current_qty: Decimal, side: OrderSide, qty: Decimal) -> Decimal:
    return current_qty + signed(side, qty)


def is_reducing(current_qty: Decimal, side: OrderSide, qty: Decimal) -> bool:
    """True when the order only shrinks an existing position towards zero.

    Selling part or all of a long, or buying back part or all of a short. An order that
    flips the position through zero (sell 15 of a 10-share long) opens a new one, so it is not
    reducing; nor is any order on a symbol the account does not hold.
    """
    if qty <= 0 or current_qty == 0:
        return False
    if current_qty > 0:
        return side == "sell" and qty <= current_qty
    return side == "buy" and qty <= -current_qty


def opening_qty(current_qty: Decimal, side: OrderSide, qty: Decimal) -> Decimal:
    """The part of an order that opens or adds exposure (what needs buying power)."""
    adds = current_qty == 0 or (current_qty > 0) == (side == "buy")
    if adds:
        return qty
    return max(qty - abs(current_qty), Decimal(0))

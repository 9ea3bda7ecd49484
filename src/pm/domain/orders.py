"""Order arithmetic every order path shares: signed quantities, what reduces a position, and
deterministic client_order_ids."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from pm.domain.models import OrderSide

#: Alpaca accepts client_order_ids up to this many characters.
MAX_CLIENT_ORDER_ID = 128
_ACTION = re.compile(r"[a-z][a-z0-9-]{0,31}")
_HASH_CHARS = 24


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


def client_order_id(
    action: str,
    *,
    account_id: str,
    symbol: str,
    side: OrderSide,
    qty: Decimal,
    intent: str,
) -> str:
    """A deterministic client_order_id: ``pm-<action>-<24 hex chars>``.

    The hash covers the account, symbol, side, quantity (normalised: 10 and 10.00 are the
    same order) and a caller-supplied intent key (a rebalance run id, a date, ...). The same
    inputs give the same id, so a retried submission is recognised by the broker instead of
    filling twice; anything different gives a different id.
    """
    if not _ACTION.fullmatch(action):
        raise ValueError(f"action must be lower-case letters, digits and '-': {action!r}")
    key = "|".join(
        (account_id, symbol.upper(), side, format(qty.normalize(), "f"), intent)
    ).encode()
    digest = hashlib.sha256(key).hexdigest()[:_HASH_CHARS]
    result = f"pm-{action}-{digest}"
    assert len(result) <= MAX_CLIENT_ORDER_ID
    return result

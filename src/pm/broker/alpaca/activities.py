"""`GET /v2/account/activities` pages to ledger records.

FILL activities become `Fill` (``sell_short`` is a sell: FIFO turns it into a short lot;
crypto symbols ``BTC/USD`` and ``BTCUSD`` are one symbol, kept in the positions' spelling);
every other activity type (CSD, CSW, JNLC, DIV, FEE, CFEE, ... and types pm does not know)
becomes a `CashActivity`, stored as it comes. A missing field, a wrong type, a non-finite,
absurd or wrongly signed number is a malformed answer (`MalformedResponse`, reported by the
adapter as the broker being unavailable): nothing of that page is stored.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pm.broker.alpaca.parse import (
    MalformedResponse,
    _dec,
    _list,
    _obj,
    _str,
    _symbol,
    _ts,
    parse_timestamp,
)
from pm.domain.ledger import ActivityPage, CashActivity, Fill
from pm.domain.models import OrderSide
from pm.domain.portfolio import holding_key

_FILL_SIDES: dict[object, OrderSide] = {"buy": "buy", "sell": "sell", "sell_short": "sell"}
#: More integer digits than any real price, quantity or amount: a garbled number.
_MAX_DIGITS = 18


def _bounded(value: Decimal, what: str, *, positive: bool) -> Decimal:
    if value.adjusted() >= _MAX_DIGITS:
        raise MalformedResponse(f"{what}: absurdly large: {value}")
    if positive and value <= 0:
        raise MalformedResponse(f"{what}: must be positive, got {value}")
    return value


def _opt_text(d: dict[str, Any], key: str, what: str) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedResponse(f"{what}.{key}: expected a string, got {type(value).__name__}")
    return value


def _opt_number(d: dict[str, Any], key: str, what: str) -> Decimal | None:
    if d.get(key) in (None, ""):
        return None
    return _bounded(_dec(d, key, what), f"{what}.{key}", positive=False)


def parse_fill(d: dict[str, Any], what: str) -> Fill:
    side = _FILL_SIDES.get(d.get("side"))
    if side is None:
        raise MalformedResponse(
            f"{what}.side: expected buy, sell or sell_short, got {str(d.get('side'))[:20]!r}"
        )
    return Fill(
        fill_id=_str(d, "id", what),
        symbol=holding_key(_symbol(d, what)),
        side=side,
        qty=_bounded(_dec(d, "qty", what), f"{what}.qty", positive=True),
        price=_bounded(_dec(d, "price", what), f"{what}.price", positive=True),
        transaction_time=_ts(d, "transaction_time", what),
        source="activity",
        broker_order_id=_opt_text(d, "order_id", what),
    )


def _activity_date(d: dict[str, Any], what: str) -> date:
    text = d.get("date")
    if isinstance(text, str) and text:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise MalformedResponse(f"{what}.date: not a date: {text[:20]!r}") from None
    if "created_at" in d:
        return parse_timestamp(d["created_at"], f"{what}.created_at").date()
    raise MalformedResponse(f"{what}: missing field 'date'")


def parse_cash(d: dict[str, Any], what: str) -> CashActivity:
    symbol = d.get("symbol")
    return CashActivity(
        activity_id=_str(d, "id", what),
        activity_type=_str(d, "activity_type", what),
        date=_activity_date(d, what),
        net_amount=_bounded(_dec(d, "net_amount", what), f"{what}.net_amount", positive=False),
        activity_sub_type=_opt_text(d, "activity_sub_type", what),
        symbol=holding_key(_symbol(d, what)) if isinstance(symbol, str) and symbol else None,
        qty=_opt_number(d, "qty", what),
        per_share_amount=_opt_number(d, "per_share_amount", what),
        description=_opt_text(d, "description", what),
        status=_opt_text(d, "status", what),
    )


def parse_activities(raw: object) -> ActivityPage:
    """One page (a JSON array, oldest first when asked with ``direction=asc``)."""
    fills: list[Fill] = []
    cash: list[CashActivity] = []
    last_id: str | None = None
    items = _list(raw, "activities")
    for i, item in enumerate(items):
        what = f"activities[{i}]"
        d = _obj(item, what)
        if _str(d, "activity_type", what) == "FILL":
            fill = parse_fill(d, what)
            fills.append(fill)
            last_id = fill.fill_id
        else:
            activity = parse_cash(d, what)
            cash.append(activity)
            last_id = activity.activity_id
    return ActivityPage(tuple(fills), tuple(cash), last_id, len(items))

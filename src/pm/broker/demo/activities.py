"""The demo account's activities, shaped as Alpaca's: its seeded history, then a FILL activity
for each of its own filled orders (`demo_orders`).

The seeded history is whatever `History` the broker is given: by default the demo's simulated
past (`pm.broker.demo.history`), which opens each seed holding at its average entry price, so
closing part of one realizes exactly (price - average entry) x qty.

Activity ids are Alpaca's: ``<New York time YYYYMMDDHHMMSSmmm>::<uuid>`` for fills, the date
followed by zeros for cash activities, so ordering by id is ordering by time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime

from pm.domain.ledger import ActivityKind, ActivityPage, CashActivity, Fill
from pm.domain.market_calendar import MARKET_TZ
from pm.domain.models import Order
from pm.domain.portfolio import holding_key

#: The seeded history: fills and cash activities, any order.
History = Callable[[], tuple[Sequence[Fill], Sequence[CashActivity]]]

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pm.invalid/demo/activities")


def fill_activity_id(at: datetime, key: str) -> str:
    """Alpaca's fill id: the New York time to the millisecond, then a uuid."""
    local = at.astimezone(MARKET_TZ)
    return f"{local:%Y%m%d%H%M%S}{local.microsecond // 1000:03d}::{uuid.uuid5(_NAMESPACE, key)}"


def cash_activity_id(day: date, key: str) -> str:
    """Alpaca's non-trade id: the date followed by zeros, then a uuid."""
    return f"{day:%Y%m%d}000000000::{uuid.uuid5(_NAMESPACE, key)}"


def order_fill(order: Order) -> Fill | None:
    """The FILL activity of one filled demo order (demo orders fill at once, in full)."""
    if order.filled_at is None or order.filled_avg_price is None or order.filled_qty <= 0:
        return None
    return Fill(
        fill_id=fill_activity_id(order.filled_at, f"order|{order.id}"),
        symbol=holding_key(order.symbol),
        side=order.side,
        qty=order.filled_qty,
        price=order.filled_avg_price,
        transaction_time=order.filled_at,
        source="activity",
        broker_order_id=order.id,
    )


def activity_page(
    kind: ActivityKind,
    fills: Sequence[Fill],
    cash: Sequence[CashActivity],
    *,
    page_token: str | None,
    after: date | None,
    page_size: int,
) -> ActivityPage:
    """One ascending page after `page_token` (and created after `after`), as Alpaca pages."""
    items: list[Fill | CashActivity]
    if kind == "fill":
        items = [f for f in fills if after is None or f.transaction_time.date() > after]
    else:
        items = [a for a in cash if after is None or a.date > after]
    chosen = sorted((i for i in items if page_token is None or _id(i) > page_token), key=_id)[
        :page_size
    ]
    return ActivityPage(
        tuple(i for i in chosen if isinstance(i, Fill)),
        tuple(i for i in chosen if isinstance(i, CashActivity)),
        _id(chosen[-1]) if chosen else None,
        len(chosen),
    )


def _id(item: Fill | CashActivity) -> str:
    return item.fill_id if isinstance(item, Fill) else item.activity_id

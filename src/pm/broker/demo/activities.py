"""The demo account's activities, shaped as Alpaca's: its seeded history, then a FILL activity
for each of its own filled orders (`demo_orders`).

The seeded history is whatever `History` the broker is given. Until the demo has a history of
its own, `seed_openings` stands in: each seed holding opened at its average entry price on
`SEED_OPENED`, and the deposit that paid for them, so that closing part of a seed holding
realizes exactly (price - average entry) x qty.

Activity ids are Alpaca's: ``<New York time YYYYMMDDHHMMSSmmm>::<uuid>`` for fills, the date
followed by zeros for cash activities, so ordering by id is ordering by time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from pm.broker.demo.seed import SEED_CASH, SEED_HOLDINGS
from pm.domain.ledger import ActivityKind, ActivityPage, CashActivity, Fill
from pm.domain.models import Order
from pm.domain.portfolio import holding_key

#: The seeded history: fills and cash activities, any order.
History = Callable[[], tuple[Sequence[Fill], Sequence[CashActivity]]]

NEW_YORK = ZoneInfo("America/New_York")
SEED_OPENED = datetime(2025, 1, 2, 15, 0, tzinfo=UTC)
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pm.invalid/demo/activities")


def fill_activity_id(at: datetime, key: str) -> str:
    """Alpaca's fill id: the New York time to the millisecond, then a uuid."""
    local = at.astimezone(NEW_YORK)
    return f"{local:%Y%m%d%H%M%S}{local.microsecond // 1000:03d}::{uuid.uuid5(_NAMESPACE, key)}"


def cash_activity_id(day: date, key: str) -> str:
    """Alpaca's non-trade id: the date followed by zeros, then a uuid."""
    return f"{day:%Y%m%d}000000000::{uuid.uuid5(_NAMESPACE, key)}"


def seed_openings() -> tuple[list[Fill], list[CashActivity]]:
    """The seed holdings opened on `SEED_OPENED` at their average entry price, after one
    deposit of what they cost plus the seed's cash."""
    fills: list[Fill] = []
    cost = Decimal(0)
    for symbol, qty, avg in SEED_HOLDINGS:
        at = SEED_OPENED
        fills.append(
            Fill(
                fill_id=fill_activity_id(at, f"seed|{symbol}"),
                symbol=symbol,
                side="buy" if qty > 0 else "sell",
                qty=abs(qty),
                price=avg,
                transaction_time=at,
                source="activity",
                broker_order_id=str(uuid.uuid5(_NAMESPACE, f"seed-order|{symbol}")),
            )
        )
        cost += qty * avg
    deposit_day = SEED_OPENED.date()
    deposit = CashActivity(
        activity_id=cash_activity_id(deposit_day, "seed|deposit"),
        activity_type="CSD",
        date=deposit_day,
        net_amount=SEED_CASH + cost,
        description="demo: initial deposit",
        status="executed",
    )
    return fills, [deposit]


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

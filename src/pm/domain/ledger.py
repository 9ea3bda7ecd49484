"""The trade ledger's records: one execution (a fill) and one cash activity.

Fills come from two places: pm's own orders (recorded from the order's status as soon as the
broker reports it filled, `source="order"`) and the broker's FILL activities
(`source="activity"`), which also cover orders placed outside pm. Both are the same record,
so lots and realized P/L are computed from one list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pm.domain.models import OrderSide

FillSource = Literal["order", "activity"]


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution; `qty` and `price` are positive, `side` says which way."""

    fill_id: str
    symbol: str
    side: OrderSide
    qty: Decimal
    price: Decimal
    transaction_time: datetime
    source: FillSource
    broker_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class CashActivity:
    """A non-trade activity (deposit CSD, withdrawal CSW, journal JNLC, dividend DIV, fee
    FEE/CFEE, ...); `net_amount` is signed as the broker reports it (withdrawals negative)."""

    activity_id: str
    activity_type: str
    date: date
    net_amount: Decimal
    activity_sub_type: str | None = None
    symbol: str | None = None
    qty: Decimal | None = None
    per_share_amount: Decimal | None = None
    description: str | None = None
    status: str | None = None


#: The two streams of the activities sync: FILL activities, and every non-trade activity.
ActivityKind = Literal["fill", "cash"]

#: Alpaca's largest page of activities (also its default).
ACTIVITY_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class ActivityPage:
    """One page of `GET /v2/account/activities`, oldest first (``direction=asc``).

    `last_id` is the id of the page's last item (the next request's ``page_token``), None on
    an empty page; `count` is how many items the page held (a page shorter than the page size
    is the last one).
    """

    fills: tuple[Fill, ...]
    cash: tuple[CashActivity, ...]
    last_id: str | None
    count: int


@dataclass(frozen=True, slots=True)
class LedgerSync:
    """How far the activities sync got (`ledger_sync`): the newest activity id stored of each
    stream, when it last ran, from when the ledger covers the account and whether it holds
    the account's whole history (the first sync imports everything from the start)."""

    account_id: str
    last_fill_id: str | None
    last_cash_id: str | None
    synced_at: datetime
    covers_from: datetime | None
    complete: bool


def order_fill_id(broker_order_id: str) -> str:
    """The `fill_id` of a fill recorded from pm's own order (provisional until the broker's
    FILL activities of that order replace it)."""
    return f"order:{broker_order_id}"

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

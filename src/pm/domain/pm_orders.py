"""pm's own orders as the `orders` table keeps them: what was asked, by whom, and what the
broker answered. Pure records and rules; the order path is `pm.services.orders`.

Statuses are pm's view of an order: ``pending`` (written, the broker not yet answered),
the broker's own status once it answered (``new``, ``accepted``, ``partially_filled``,
``filled``, ``canceled``, ...), ``unknown`` after an ambiguous failure until a later command
settles it, ``rejected`` when the broker refused it, and ``not_sent`` when settling found
that the broker never received it (the process died before the request left).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pm.domain.models import OrderSide

OrderOrigin = Literal["close", "close-all", "rebalance", "exit", "mcp"]

PENDING = "pending"
UNKNOWN = "unknown"
NOT_SENT = "not_sent"
REJECTED = "rejected"

#: Statuses after which an order never changes again.
FINAL_STATUSES = frozenset(
    {"filled", "canceled", "expired", "rejected", "replaced", "done_for_day", NOT_SENT}
)
#: Longest client_order_id Alpaca accepts.
MAX_CLIENT_ORDER_ID = 128


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


def is_settled(status: str) -> bool:
    """Whether pm knows the order's outcome for good (final), as opposed to still open at the
    broker, or written and never confirmed (``pending``, ``unknown``)."""
    return is_final(status)


def client_id_salt(account_id: str, audit_id: int, at: datetime) -> str:
    """8 hex digits from the account, the audit row and its time (to the microsecond): a
    replaced database that counts audit ids from 1 again still makes other client ids."""
    seed = f"{account_id}|{audit_id}|{at.isoformat()}".encode()
    return hashlib.blake2b(seed, digest_size=4).hexdigest()


def new_client_order_id(origin: str, audit_id: int, leg: int, salt: str) -> str:
    """``pm-<origin>-<audit id>-<leg>-<salt>`` (`client_id_salt`): stored with the order row
    before the broker call, and reused by every lookup and retry of that order."""
    cid = f"pm-{origin}-{audit_id}-{leg}-{salt}"
    if len(cid) > MAX_CLIENT_ORDER_ID:
        raise ValueError(f"client_order_id longer than {MAX_CLIENT_ORDER_ID}: {cid!r}")
    return cid


_CRYPTO_QUOTES = ("USDT", "USDC", "USD", "BTC")


def order_symbol(symbol: str, asset_class: str) -> str:
    """The symbol an order names: crypto positions say ``BTCUSD``, crypto orders
    ``BTC/USD`` (Alpaca's current form); everything else as is."""
    if asset_class != "crypto" or "/" in symbol:
        return symbol
    for quote in _CRYPTO_QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return f"{symbol[: -len(quote)]}/{quote}"
    return symbol


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """One order an origin wants placed: exactly one of qty and notional."""

    symbol: str
    side: OrderSide
    qty: Decimal | None = None
    notional: Decimal | None = None
    order_type: str = "market"
    time_in_force: str = "day"
    limit_price: Decimal | None = None
    reason_codes: tuple[str, ...] = ()
    # The caller's own deterministic client_order_id (exits: one per position, rule and level;
    # a rebalance run: run id and intent seq, so `resume` finds them); None: the order path
    # makes one from the audit row (`pm-<origin>-<audit>-<leg>-...`).
    client_order_id: str | None = None
    trail_percent: Decimal | None = None  # a ``trailing_stop`` order's trail (exits --native)


@dataclass(frozen=True, slots=True)
class PmOrder:
    """One row of the `orders` table."""

    id: int
    account_id: str
    client_order_id: str
    origin: str
    origin_ref: str | None
    audit_id: int | None
    symbol: str
    side: OrderSide
    qty: Decimal | None
    notional: Decimal | None
    order_type: str
    limit_price: Decimal | None
    time_in_force: str
    status: str
    status_history: list[dict[str, Any]]
    broker_order_id: str | None
    filled_qty: Decimal
    filled_avg_price: Decimal | None
    reason_codes: list[str]
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    filled_at: datetime | None = field(default=None)
    trail_percent: Decimal | None = field(default=None)

    @property
    def settled(self) -> bool:
        return is_settled(self.status)

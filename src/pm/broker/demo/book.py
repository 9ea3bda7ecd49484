"""The demo account's own state (what a real broker would hold), and the port that stores it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from pm.domain.models import Order


@dataclass(slots=True)
class Holding:
    """One demo position; qty is negative for a short."""

    symbol: str
    asset_id: str
    asset_class: str
    qty: Decimal
    avg_entry_price: Decimal


@dataclass(slots=True)
class DemoBook:
    """Cash and holdings of the simulated account."""

    account_id: str
    cash: Decimal
    holdings: dict[str, Holding] = field(default_factory=dict)


class DemoStore(Protocol):
    """Keeps the demo account in the local database, under the demo account's own id."""

    def load(self, account_id: str) -> DemoBook | None: ...

    def save(self, book: DemoBook, new_orders: Sequence[Order]) -> None:
        """Replace cash and holdings and append the orders, in one transaction."""
        ...

    def find_order(self, account_id: str, client_order_id: str) -> Order | None: ...

"""An in-memory DemoStore and a fixed clock for the demo broker's tests."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime

from pm.broker.demo.book import DemoBook
from pm.domain.models import Order


class MemoryStore:
    """Keeps one copy of the book per account; counts saves so tests can assert on writes."""

    def __init__(self) -> None:
        self.books: dict[str, DemoBook] = {}
        self.orders: dict[tuple[str, str], Order] = {}
        self.saves: list[tuple[DemoBook, list[Order]]] = []

    def load(self, account_id: str) -> DemoBook | None:
        book = self.books.get(account_id)
        return copy.deepcopy(book) if book is not None else None

    def save(self, book: DemoBook, new_orders: Sequence[Order]) -> None:
        for order in new_orders:
            key = (book.account_id, order.client_order_id)
            assert key not in self.orders, f"duplicate client_order_id {order.client_order_id}"
            self.orders[key] = order
        self.books[book.account_id] = copy.deepcopy(book)
        self.saves.append((copy.deepcopy(book), list(new_orders)))

    def find_order(self, account_id: str, client_order_id: str) -> Order | None:
        return self.orders.get((account_id, client_order_id))


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now


def at(year: int, month: int, day: int, hour: int = 15, minute: int = 0) -> datetime:
    """A UTC moment (15:00 UTC is 10:00 or 11:00 in New York)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)

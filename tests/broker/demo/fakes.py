"""An in-memory DemoStore and a fixed clock for the demo broker's tests."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime

from pm.domain.models import Order
from pm.ports import DemoState


class MemoryStore:
    """Keeps one copy of the state per account; counts saves so tests can assert on writes."""

    def __init__(self) -> None:
        self.states: dict[str, DemoState] = {}
        self._orders: dict[tuple[str, str], Order] = {}
        self.saves: list[tuple[DemoState, list[Order]]] = []

    def load(self, account_id: str) -> DemoState | None:
        state = self.states.get(account_id)
        return copy.deepcopy(state) if state is not None else None

    def save(self, state: DemoState, new_orders: Sequence[Order]) -> None:
        for order in new_orders:
            key = (state.account_id, order.client_order_id)
            assert key not in self._orders, f"duplicate client_order_id {order.client_order_id}"
            self._orders[key] = order
        self.states[state.account_id] = copy.deepcopy(state)
        self.saves.append((copy.deepcopy(state), list(new_orders)))

    def find_order(self, account_id: str, client_order_id: str) -> Order | None:
        return self._orders.get((account_id, client_order_id))

    def orders(self, account_id: str, limit: int = 500) -> list[Order]:
        mine = [o for (owner, _), o in self._orders.items() if owner == account_id]
        return list(reversed(mine))[:limit]

    def fills_since(self, account_id: str, since: datetime) -> list[Order]:
        fills = [
            order
            for (owner, _), order in self._orders.items()
            if owner == account_id and order.filled_at is not None and order.filled_at >= since
        ]
        return sorted(fills, key=lambda order: order.filled_at or since)

    def reset(self, account_id: str) -> None:
        self.states.pop(account_id, None)
        self._orders = {key: o for key, o in self._orders.items() if key[0] != account_id}


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

"""The demo adapters, built together: the simulated broker, its prices and who it is."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from pm.broker.demo.seed import DEMO_ACCOUNT_ID, DEMO_IDENTITY
from pm.ports import BrokerIdentity, Clock, DemoStore, LatestPrices, MarketData

if TYPE_CHECKING:
    from pm.broker.demo.broker import DemoBroker

IDENTITY = BrokerIdentity(
    broker="demo",
    key=DEMO_IDENTITY,
    endpoint="demo",
    live=False,
    simulated=True,
    account_id=DEMO_ACCOUNT_ID,
)


class DemoAdapters:
    """Implements `pm.ports.Adapters` for the simulated account; nothing touches a network.

    `open_store` is called when the broker is first used, so market data and prices never
    open the database.
    """

    def __init__(self, open_store: Callable[[], DemoStore], clock: Clock) -> None:
        self._open_store = open_store
        self._clock = clock

    @property
    def identity(self) -> BrokerIdentity:
        return IDENTITY

    @cached_property
    def broker(self) -> DemoBroker:
        from pm.broker.demo.broker import DemoBroker

        return DemoBroker(self._open_store(), self._clock)

    @cached_property
    def market_data(self) -> MarketData:
        from pm.broker.demo.market_data import DemoMarketData

        return DemoMarketData()

    @cached_property
    def latest_prices(self) -> LatestPrices:
        from pm.broker.demo.quotes import DemoPrices

        return DemoPrices(self._clock)


def build(open_store: Callable[[], DemoStore], clock: Clock) -> DemoAdapters:
    """The demo's ports; its state lives in the `DemoStore` that `open_store` returns."""
    return DemoAdapters(open_store, clock)

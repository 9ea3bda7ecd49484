"""The Alpaca adapters, built together: trading, market data, latest trades and identity.

Building is cheap: alpaca-py is imported when the broker or a data client is first used.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, TypedDict

from pm.broker.alpaca.adapter import LIVE_URL
from pm.broker.alpaca.identity import broker_identity, normalize_base_url
from pm.ports import BrokerIdentity, Clock

if TYPE_CHECKING:
    from pm.broker.alpaca.adapter import AlpacaBroker
    from pm.broker.alpaca.latest_trade import AlpacaLatestTrades
    from pm.broker.alpaca.market_data import AlpacaMarketData


class _Access(TypedDict):
    """What every Alpaca client is built with besides its URL."""

    api_key: str
    secret_key: str
    clock: Clock
    deadline_s: float


class AlpacaAdapters:
    """Implements `pm.ports.Adapters` for one Alpaca account (paper or live by `base_url`)."""

    def __init__(self, *, base_url: str, data_url: str, access: _Access) -> None:
        self._base_url = normalize_base_url(base_url)
        self._data_url = data_url
        self._access = access

    @cached_property
    def identity(self) -> BrokerIdentity:
        return BrokerIdentity(
            broker="alpaca",
            key=broker_identity(self._base_url, self._access["api_key"]),
            endpoint=self._base_url,
            live=self._base_url == LIVE_URL,
            simulated=False,
        )

    @cached_property
    def broker(self) -> AlpacaBroker:
        from pm.broker.alpaca.adapter import AlpacaBroker

        return AlpacaBroker(base_url=self._base_url, **self._access)

    @cached_property
    def market_data(self) -> AlpacaMarketData:
        from pm.broker.alpaca.market_data import AlpacaMarketData

        return AlpacaMarketData(data_url=self._data_url, **self._access)

    @cached_property
    def latest_prices(self) -> AlpacaLatestTrades:
        from pm.broker.alpaca.latest_trade import AlpacaLatestTrades

        return AlpacaLatestTrades(data_url=self._data_url, **self._access)


def build(
    *,
    api_key: str,
    secret_key: str,
    base_url: str,
    data_url: str,
    clock: Clock,
    deadline_s: float,
) -> AlpacaAdapters:
    """Alpaca's ports for these credentials; BadInput for a malformed `base_url`."""
    access = _Access(api_key=api_key, secret_key=secret_key, clock=clock, deadline_s=deadline_s)
    return AlpacaAdapters(base_url=base_url, data_url=data_url, access=access)

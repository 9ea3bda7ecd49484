"""Latest prices for the demo account: the deterministic demo price of today."""

from __future__ import annotations

from decimal import Decimal

from pm.broker.demo.market_hours import as_utc
from pm.broker.demo.prices import price_on
from pm.broker.demo.universe import lookup
from pm.ports import Clock


class DemoPrices:
    """Implements `pm.ports.LatestPrices` over the demo universe (None outside it)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def latest_price(self, symbol: str) -> Decimal | None:
        instrument = lookup(symbol)
        if instrument is None:
            return None
        return price_on(instrument, as_utc(self._clock.now()).date())

"""Daily closes for the demo account: the demo price of each instrument on each trading day.

Equities close on weekdays (no holiday calendar), crypto every day, exactly as the demo
broker prices them, so historical VaR on the demo book is deterministic. Symbols outside the
demo universe have no history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from pm.broker.demo.prices import price_on
from pm.broker.demo.universe import lookup
from pm.ports import DailyCloses

MAX_DAYS = 3 * 366


class DemoMarketData:
    """Implements `pm.ports.MarketData` for the demo universe; no network."""

    @property
    def name(self) -> str:
        return "demo"

    def daily_closes(self, symbols: Sequence[str], start: date, end: date) -> DailyCloses:
        if end < start:
            return DailyCloses({})
        start = max(start, end - timedelta(days=MAX_DAYS))
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        closes: dict[str, list[tuple[date, Decimal]]] = {}
        for symbol in symbols:
            instrument = lookup(symbol)
            if instrument is None:
                continue
            trading = days if instrument.is_crypto else [d for d in days if d.weekday() < 5]
            closes[symbol] = [(d, price_on(instrument, d)) for d in trading]
        return DailyCloses(closes)

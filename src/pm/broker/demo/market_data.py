"""Daily closes for the demo account: the demo price of each instrument on each trading day.

Equities close on weekdays (no holiday calendar), crypto every day, exactly as the demo
broker prices them, so historical VaR on the demo book is deterministic. Symbols outside the
demo universe have no history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from pm.broker.demo.prices import price_on
from pm.broker.demo.universe import lookup
from pm.ports import DailyCloses, MinuteBar

MAX_DAYS = 3 * 366
#: Minute bars go back at most this many days (an exit check reads only since its last).
MAX_BAR_DAYS = 10


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

    def minute_bars(
        self, symbols: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[MinuteBar]]:
        """The demo's price is constant through a day: one bar a (trading) day in [start,
        end], at the later of midnight UTC and `start`, high = low = close = that day's
        price. Stepping the clock over days shows the days in between."""
        if end < start:
            return {}
        first = max(start.date(), end.date() - timedelta(days=MAX_BAR_DAYS))
        days = [first + timedelta(days=i) for i in range((end.date() - first).days + 1)]
        bars: dict[str, list[MinuteBar]] = {}
        for symbol in symbols:
            instrument = lookup(symbol)
            if instrument is None:
                continue
            rows = []
            for day in days:
                if not instrument.is_crypto and day.weekday() >= 5:
                    continue
                at = max(start, datetime.combine(day, time(0), tzinfo=UTC))
                price = price_on(instrument, day)
                rows.append(MinuteBar(at, price, price, price))
            if rows:
                bars[symbol] = rows
        return bars

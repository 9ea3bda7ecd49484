"""The demo's macro series: VIX, the two yield spreads and unemployment as a deterministic
function of the date, so `pm --demo regime` works offline and says the same thing all day.

Daily series (VIXCLS, T10Y2Y, T10Y3M) have a value on weekdays only, as FRED's do; UNRATE has
one on the first of each month. VIX moves between about 12 and 24 and the 10y-2y spread
between about -0.2 and 0.6, so the regime changes from week to week but never reaches the
emergency stop.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

from pm.domain.regime import SPREAD_10Y2Y, SPREAD_10Y3M, UNEMPLOYMENT, VIX, Observation
from pm.ports import Clock

SOURCE = "demo"
DAYS = 30
_CENT = Decimal("0.01")


def _value(series_id: str, day: date) -> Decimal:
    t = day.toordinal()
    if series_id == VIX:
        x = 18 + 5 * math.sin(t / 9) + 1.5 * math.sin(t / 2.3)
    elif series_id == SPREAD_10Y2Y:
        x = 0.2 + 0.4 * math.sin(t / 45)
    elif series_id == SPREAD_10Y3M:
        x = 0.1 + 0.6 * math.sin(t / 50)
    else:
        x = 4.1 + 0.3 * math.sin(t / 300)
    return Decimal(repr(round(x, 2))).quantize(_CENT)


def series(series_id: str, today: date) -> list[Observation]:
    """The last `DAYS` days' observations of `series_id` up to `today`, oldest first."""
    if series_id == UNEMPLOYMENT:
        first = today.replace(day=1)
        months = [first]
        for _ in range(2):
            months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
        return [Observation(series_id, m, _value(series_id, m)) for m in months]
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    return [Observation(series_id, d, _value(series_id, d)) for d in days if d.weekday() < 5]


class DemoMacro:
    """Implements `pm.ports.MacroSource` without a network."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    @property
    def name(self) -> str:
        return SOURCE

    def observations(self, series_id: str) -> list[Observation]:
        if series_id not in (VIX, SPREAD_10Y2Y, SPREAD_10Y3M, UNEMPLOYMENT):
            return []
        return series(series_id, self._clock.now().date())

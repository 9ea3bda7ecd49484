"""Deterministic demo prices: a smooth function of the calendar date, the same everywhere.

price(symbol, day) = base price x (1 + a sum of three sines of the day number + a day's
jitter), quantized to cents. The jitter (a hash of symbol and day, up to 1.2 %) gives the
day-to-day moves of a real market, so daily P/L and historical VaR are not flat.
Each symbol gets its own phases from ``zlib.crc32`` (Python's ``hash()`` is salted per
process, so it would not be stable). Equities move only on weekdays and keep the previous
weekday's price over a weekend; crypto moves every day. Holidays are not modelled.

The sines are evaluated in float, then the factor is rounded to 8 places and becomes a Decimal
before it touches money, so prices are Decimal and identical across platforms in practice.
"""

from __future__ import annotations

import math
import zlib
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from pm.broker.demo.universe import Instrument
from pm.domain.money import CENT

# (amplitude, period in days) of each wave; crypto swings twice as hard.
_WAVES: tuple[tuple[float, float], ...] = ((0.06, 181.0), (0.03, 37.0), (0.01, 7.3))
_CRYPTO_SCALE = 2.0
_JITTER = 0.012


def last_trading_day(day: date) -> date:
    """The day itself on a weekday, else the Friday before (no holiday calendar)."""
    weekday = day.weekday()
    if weekday >= 5:
        return day - timedelta(days=weekday - 4)
    return day


def previous_trading_day(day: date) -> date:
    """The last weekday strictly before `day` (Monday gives Friday, Sunday gives Friday)."""
    return last_trading_day(day - timedelta(days=1))


def _phase(symbol: str, wave: int) -> float:
    return 2 * math.pi * (zlib.crc32(f"{symbol}:{wave}".encode()) % 100_000) / 100_000


def factor(symbol: str, day_number: int, *, crypto: bool = False) -> Decimal:
    """The multiplier on the base price for a day number (``date.toordinal()``)."""
    scale = _CRYPTO_SCALE if crypto else 1.0
    total = 1.0
    for i, (amplitude, period) in enumerate(_WAVES):
        total += scale * amplitude * math.sin(2 * math.pi * day_number / period + _phase(symbol, i))
    total += scale * _JITTER * _jitter(symbol, day_number)
    return Decimal(f"{total:.8f}")


def _jitter(symbol: str, day_number: int) -> float:
    """A stable number in [-1, 1] for this symbol and day."""
    return (zlib.crc32(f"{symbol}@{day_number}".encode()) % 20_001) / 10_000 - 1


def price_on(instrument: Instrument, day: date) -> Decimal:
    """The instrument's price in effect on `day` (UTC calendar date), in cents."""
    priced = day if instrument.is_crypto else last_trading_day(day)
    f = factor(instrument.symbol, priced.toordinal(), crypto=instrument.is_crypto)
    return (instrument.base_price * f).quantize(CENT, rounding=ROUND_HALF_EVEN)


def previous_close(instrument: Instrument, day: date) -> Decimal:
    """The price at the previous trading day, what `last_equity` is valued at."""
    return price_on(instrument, previous_trading_day(day))

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from pm.broker.demo.prices import (
    factor,
    last_trading_day,
    previous_close,
    previous_trading_day,
    price_on,
)
from pm.broker.demo.universe import UNIVERSE, lookup
from pm.domain.portfolio import holding_key

WED = date(2025, 3, 12)
FRI = date(2025, 3, 14)
SAT = date(2025, 3, 15)
SUN = date(2025, 3, 16)
MON = date(2025, 3, 17)


def test_same_day_same_price() -> None:
    for instrument in UNIVERSE.values():
        assert price_on(instrument, WED) == price_on(instrument, WED)


def test_prices_are_cents_and_near_base() -> None:
    for instrument in UNIVERSE.values():
        for offset in range(0, 800, 13):
            price = price_on(instrument, WED + timedelta(days=offset))
            assert price == price.quantize(Decimal("0.01"))
            assert abs(price / instrument.base_price - 1) < Decimal("0.25")


def test_known_values_are_stable_across_runs() -> None:
    # crc32 phases, not hash(): these values must not change between processes or machines.
    assert factor("AAPL", WED.toordinal()) == factor("AAPL", WED.toordinal())
    assert price_on(UNIVERSE["AAPL"], WED) == Decimal("237.83")
    assert price_on(UNIVERSE["BTCUSD"], WED) == Decimal("65712.53")


def test_equities_keep_fridays_price_over_the_weekend() -> None:
    aapl = UNIVERSE["AAPL"]
    assert price_on(aapl, SAT) == price_on(aapl, FRI)
    assert price_on(aapl, SUN) == price_on(aapl, FRI)
    assert price_on(aapl, MON) != price_on(aapl, FRI)


def test_crypto_moves_every_day() -> None:
    btc = UNIVERSE["BTCUSD"]
    assert len({price_on(btc, d) for d in (FRI, SAT, SUN, MON)}) == 4


def test_weekdays_move() -> None:
    aapl = UNIVERSE["AAPL"]
    prices = [price_on(aapl, WED + timedelta(days=i)) for i in range(3)]
    assert len(set(prices)) == 3


@pytest.mark.parametrize(
    ("day", "last", "previous"),
    [
        (WED, WED, date(2025, 3, 11)),
        (FRI, FRI, date(2025, 3, 13)),
        (SAT, FRI, FRI),
        (SUN, FRI, FRI),
        (MON, MON, FRI),
    ],
)
def test_trading_days(day: date, last: date, previous: date) -> None:
    assert last_trading_day(day) == last
    assert previous_trading_day(day) == previous


def test_previous_close_is_previous_trading_days_price() -> None:
    aapl = UNIVERSE["AAPL"]
    assert previous_close(aapl, MON) == price_on(aapl, FRI)


def test_symbol_aliases() -> None:
    assert holding_key("btc/usd") == "BTCUSD"
    assert lookup("BTC/USD") is UNIVERSE["BTCUSD"]
    assert lookup("aapl") is UNIVERSE["AAPL"]
    assert lookup("ZZZZ") is None
    assert UNIVERSE["BTCUSD"].order_symbol == "BTC/USD"


def test_daily_moves_look_like_a_market() -> None:
    """Day-to-day returns have a spread of roughly 0.5-2 %, not a flat line."""
    from datetime import timedelta
    from itertools import pairwise
    from statistics import pstdev

    aapl = UNIVERSE["AAPL"]
    days = [
        WED + timedelta(days=i) for i in range(0, 364) if (WED + timedelta(days=i)).weekday() < 5
    ]
    closes = [price_on(aapl, d) for d in days]
    returns = [float(b / a - 1) for a, b in pairwise(closes)]
    assert 0.005 < pstdev(returns) < 0.02

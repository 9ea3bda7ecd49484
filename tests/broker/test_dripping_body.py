"""The deadline covers the whole response: a 200 whose body trickles in one byte every
0.25 s (each socket read well within the read timeout) still ends at the deadline, for the
trading adapter's reads and writes and for both market data clients."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from pm.broker.alpaca import AlpacaBroker
from pm.broker.alpaca.latest_trade import AlpacaLatestTrades
from pm.broker.alpaca.market_data import AlpacaMarketData
from pm.domain.errors import BrokerUnavailable
from tests.support.clocks import UtcClock
from tests.support.fake_alpaca import FakeAlpaca, Reply

MakeBroker = Callable[..., AlpacaBroker]
DEADLINE_S = 1.5
MARGIN_S = 3.0  # generous: a loaded machine; the drip itself would take minutes


def _ends(call: Callable[[], object]) -> tuple[BaseException | None, float]:
    started = time.monotonic()
    try:
        call()
    except BrokerUnavailable as exc:
        return exc, time.monotonic() - started
    return None, time.monotonic() - started


@pytest.mark.slow
@pytest.mark.parametrize("method", ["get_account", "get_positions", "get_clock", "close_all"])
def test_trading_reads_and_writes_end_at_the_deadline(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker, method: str
) -> None:
    fake_alpaca.fail_with(Reply.drip(0.25))
    broker = make_broker(fake_alpaca.base_url, timeout_s=1.0, deadline_s=DEADLINE_S)
    calls: dict[str, Callable[[], object]] = {
        "get_account": broker.get_account,
        "get_positions": broker.get_positions,
        "get_clock": broker.get_clock,
        "close_all": lambda: broker.close_all_positions(cancel_orders=True),
    }
    error, elapsed = _ends(calls[method])
    assert isinstance(error, BrokerUnavailable)
    assert elapsed < DEADLINE_S + MARGIN_S
    assert fake_alpaca.count() >= 1


@pytest.mark.slow
def test_market_data_ends_at_the_deadline(fake_alpaca: FakeAlpaca) -> None:
    fake_alpaca.fail_with(Reply.drip(0.25))
    keys = {"api_key": "PKT", "secret_key": "s3cret", "clock": UtcClock()}
    bars = AlpacaMarketData(data_url=fake_alpaca.base_url, deadline_s=DEADLINE_S, **keys)
    error, elapsed = _ends(lambda: bars.daily_closes(["AAPL"], date(2024, 1, 2), date(2024, 2, 2)))
    assert isinstance(error, BrokerUnavailable)
    assert elapsed < DEADLINE_S + MARGIN_S
    latest = AlpacaLatestTrades(data_url=fake_alpaca.base_url, deadline_s=DEADLINE_S, **keys)
    started = time.monotonic()
    assert latest.latest_price("AAPL") is None  # no price: the caller asks for --price
    assert time.monotonic() - started < DEADLINE_S + MARGIN_S


def test_a_slow_but_steady_answer_within_the_deadline_is_read(
    fake_alpaca: FakeAlpaca, make_broker: MakeBroker
) -> None:
    """The drip knob itself: a short body dripped quickly arrives whole."""
    body = {
        "timestamp": "2024-11-25T10:00:00Z",
        "is_open": True,
        "next_open": "2024-11-26T09:30:00-05:00",
        "next_close": "2024-11-25T16:00:00-05:00",
    }
    fake_alpaca.script(Reply.drip(0.001, body=body))
    clock = make_broker(fake_alpaca.base_url).get_clock()
    assert clock.is_open is True
    assert Decimal(clock.next_open.hour) == Decimal(14)

"""Daily bars from Alpaca's data API (cassettes and the fake server) and the demo's closes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import vcr

from pm.broker.alpaca.market_data import AlpacaMarketData
from pm.broker.demo.market_data import DemoMarketData
from pm.broker.demo.prices import price_on
from pm.broker.demo.universe import lookup
from pm.domain.errors import BrokerRejected, BrokerUnavailable, CredentialsError
from tests.broker.conftest import API_KEY, SECRET_KEY, UtcClock
from tests.support.fake_alpaca import FakeAlpaca, Reply

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
DATA_URL = "https://data.alpaca.markets"
START, END = date(2024, 11, 25), date(2024, 11, 27)

replay = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    filter_headers=["APCA-API-KEY-ID", "APCA-API-SECRET-KEY"],
    match_on=["method", "scheme", "host", "port", "path", "query"],
)


def make(url: str, **kw: object) -> AlpacaMarketData:
    args: dict[str, object] = {"max_attempts": 1, **kw}
    return AlpacaMarketData(
        api_key=API_KEY,
        secret_key=SECRET_KEY,
        data_url=url,
        clock=UtcClock(),
        **args,  # type: ignore[arg-type]
    )


@pytest.fixture
def data() -> Iterator[AlpacaMarketData]:
    md = make(DATA_URL)
    yield md
    md.close()


def test_two_pages_are_joined(data: AlpacaMarketData) -> None:
    with replay.use_cassette("stock_bars_paged.yaml") as cassette:
        result = data.daily_closes(["AAPL", "SPY"], START, END)
    assert cassette.play_count == 2
    assert result.closes["AAPL"] == [
        (date(2024, 11, 25), Decimal("232.87")),
        (date(2024, 11, 26), Decimal("235.06")),
        (date(2024, 11, 27), Decimal("234.93")),
    ]
    assert [d for d, _ in result.closes["SPY"]] == [START, date(2024, 11, 26), END]
    assert all(isinstance(c, Decimal) for _, c in result.closes["SPY"])
    assert result.unsupported == ()


def test_empty_answer(data: AlpacaMarketData) -> None:
    with replay.use_cassette("stock_bars_empty.yaml"):
        result = data.daily_closes(["AAPL", "SPY"], START, END)
    assert result.closes == {}


def test_sip_refusal_is_a_rejection(data: AlpacaMarketData) -> None:
    with replay.use_cassette("stock_bars_sip_forbidden_403.yaml"), pytest.raises(BrokerRejected):
        data.daily_closes(["AAPL", "SPY"], START, END)


def test_crypto_is_not_asked_on_the_stocks_endpoint() -> None:
    with FakeAlpaca() as srv:
        result = make(srv.base_url).daily_closes(["BTCUSD", "AAPL", "ETH/USD"], START, END)
        assert srv.requests[0].query["symbols"] == ["AAPL"]
        assert srv.requests[0].query["feed"] == ["iex"]
        assert srv.requests[0].query["adjustment"] == ["all"]
        assert srv.requests[0].query["timeframe"] == ["1Day"]
    assert result.unsupported == ("BTCUSD", "ETHUSD")  # one spelling per holding
    assert set(result.closes) == {"AAPL"}


def test_paging_through_the_fake_server_and_chunked_symbols() -> None:
    with FakeAlpaca() as srv:
        srv.bars = {
            f"S{i:03d}": [{"t": f"2024-11-{d}T05:00:00Z", "c": 10 + i} for d in (25, 26, 27)]
            for i in range(150)
        }
        srv.bars_page_size = 100
        result = make(srv.base_url).daily_closes([f"S{i:03d}" for i in range(150)], START, END)
        # 100 symbols (300 bars: 3 pages) + 50 symbols (150 bars: 2 pages)
        assert srv.count("GET", "/v2/stocks/bars") == 5
    assert len(result.closes) == 150
    assert result.closes["S149"] == [(d, Decimal(159)) for d in (START, date(2024, 11, 26), END)]


def test_transient_failures_are_retried() -> None:
    with FakeAlpaca() as srv:
        srv.script(503, Reply(429, headers={"Retry-After": "0"}), path="/v2/stocks/bars")
        result = make(srv.base_url, max_attempts=3, backoff_base_s=0.01).daily_closes(
            ["AAPL"], START, END
        )
        assert srv.count("GET", "/v2/stocks/bars") == 3
    assert len(result.closes["AAPL"]) == 3


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(200, {"bars": {"AAPL": [{"t": "2024-11-25T05:00:00Z"}]}}), BrokerUnavailable),
        (Reply(200, {"bars": {"AAPL": [{"t": "x", "c": 1}]}}), BrokerUnavailable),
        (
            Reply(200, {"bars": {"AAPL": [{"t": "2024-11-25T05:00:00Z", "c": -1}]}}),
            BrokerUnavailable,
        ),
        (Reply.malformed(), BrokerUnavailable),
        (Reply.of(401), CredentialsError),
        (Reply.of(500), BrokerUnavailable),
    ],
)
def test_bad_answers_map_to_pm_errors(reply: Reply, error: type[Exception]) -> None:
    with FakeAlpaca() as srv:
        srv.script(reply, path="/v2/stocks/bars")
        with pytest.raises(error):
            make(srv.base_url).daily_closes(["AAPL"], START, END)


def test_demo_closes_are_the_demo_prices() -> None:
    md = DemoMarketData()
    result = md.daily_closes(["AAPL", "BTCUSD", "NOPE"], date(2026, 3, 2), date(2026, 3, 15))
    assert "NOPE" not in result.closes
    aapl = result.closes["AAPL"]
    assert len(aapl) == 10  # two weeks of weekdays
    assert all(d.weekday() < 5 for d, _ in aapl)
    instrument = lookup("AAPL")
    assert instrument is not None
    assert aapl[0] == (date(2026, 3, 2), price_on(instrument, date(2026, 3, 2)))
    assert len(result.closes["BTCUSD"]) == 14  # crypto trades every day
    again = md.daily_closes(["AAPL"], date(2026, 3, 2), date(2026, 3, 15))
    assert again.closes["AAPL"] == aapl  # deterministic

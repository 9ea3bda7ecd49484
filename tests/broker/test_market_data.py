"""Daily bars from Alpaca's data API (cassettes and the fake server) and the demo's closes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import vcr

from pm.broker.alpaca.market_data import MAX_IN_FLIGHT, AlpacaMarketData, chunked
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
    symbols = [f"S{i:04d}" for i in range(1200)]
    with FakeAlpaca() as srv:
        srv.bars = {
            s: [{"t": f"2024-11-{d}T05:00:00Z", "c": 10 + i} for d in (25, 26, 27)]
            for i, s in enumerate(symbols)
        }
        srv.bars_page_size = 500
        result = make(srv.base_url).daily_closes(symbols, START, END)
        asked = [r.query for r in srv.requests if r.path == "/v2/stocks/bars"]
    # at most 500 symbols a request: 3 chunks of 400 (1,200 bars each: 3 pages of 500)
    firsts = [q["symbols"][0].split(",") for q in asked if "page_token" not in q]
    assert sorted(len(chunk) for chunk in firsts) == [400, 400, 400]
    assert sorted(s for chunk in firsts for s in chunk) == symbols
    assert len(asked) == 9
    assert all(q["limit"] == ["10000"] for q in asked)
    assert len(result.closes) == 1200
    assert result.closes["S1199"] == [(d, Decimal(1209)) for d in (START, date(2024, 11, 26), END)]


@pytest.mark.parametrize(
    ("symbols", "days", "sizes"),
    [
        (10, 365, [10]),  # fits one page: one request
        (100, 365, [34, 34, 32]),  # a year is ~261 bars: 38 symbols a page
        (2000, 365, [250] * 8),  # more pages than can be in flight: 8 longer chains
        (5000, 30, [500] * 10),  # one page each, but no more than 500 symbols a request
    ],
)
def test_symbols_are_cut_for_one_page_each_within_the_flight_limit(
    symbols: int, days: int, sizes: list[int]
) -> None:
    names = [f"S{i}" for i in range(symbols)]
    chunks = chunked(names, END - timedelta(days=days), END)
    assert [len(c) for c in chunks] == sizes
    assert [s for c in chunks for s in c] == names


def test_chunks_are_in_flight_together() -> None:
    latency = 0.5
    symbols = [f"S{i:04d}" for i in range(2000)]
    with FakeAlpaca(latency_s=latency) as srv:
        srv.bars = {s: [{"t": "2024-11-25T05:00:00Z", "c": 5}] for s in symbols}
        result = make(srv.base_url).daily_closes(symbols, END - timedelta(days=365), END)
        arrivals = sorted(r.at for r in srv.requests if r.path == "/v2/stocks/bars")
    assert len(result.closes) == 2000
    assert len(arrivals) == MAX_IN_FLIGHT
    # every request arrived before the first answer could have come back
    assert arrivals[-1] - arrivals[0] < latency


def test_no_more_than_the_flight_limit_at_once() -> None:
    latency = 0.5
    symbols = [f"S{i:04d}" for i in range(5000)]  # 10 chunks of 500
    with FakeAlpaca(latency_s=latency) as srv:
        srv.bars = {s: [{"t": "2024-11-25T05:00:00Z", "c": 5}] for s in symbols}
        result = make(srv.base_url).daily_closes(symbols, END - timedelta(days=30), END)
        arrivals = sorted(r.at for r in srv.requests if r.path == "/v2/stocks/bars")
    assert len(result.closes) == 5000
    assert len(arrivals) == 10
    first, rest = arrivals[:MAX_IN_FLIGHT], arrivals[MAX_IN_FLIGHT:]
    assert first[-1] - first[0] < latency
    assert min(rest) - first[0] >= latency * 0.9  # waited for a connection to come free


def test_a_failing_chunk_fails_the_fetch() -> None:
    symbols = [f"S{i:04d}" for i in range(2000)]
    with FakeAlpaca() as srv:
        srv.script(Reply.of(401), path="/v2/stocks/bars")
        with pytest.raises(CredentialsError):
            make(srv.base_url).daily_closes(symbols, END - timedelta(days=365), END)


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


def _bar(at: str, high: float) -> dict[str, object]:
    return {
        "t": at,
        "o": high,
        "h": high,
        "l": high - 1,
        "c": high - 0.5,
        "v": 1,
        "n": 1,
        "vw": high,
    }


def test_crypto_minute_bars_come_from_the_crypto_endpoint_keyed_as_positions_say() -> None:
    begin = datetime(2026, 3, 1, 15, tzinfo=UTC)  # a Sunday: only crypto trades
    with FakeAlpaca() as srv:
        srv.bars = {"AAPL": [_bar("2026-03-01T15:01:00Z", 190.0)]}
        srv.crypto_bars = {
            "BTC/USD": [_bar("2026-03-01T15:02:00Z", 66000.5), _bar("2026-03-01T15:01:00Z", 65000)],
            "ETH/USD": [_bar("2026-03-01T15:01:00Z", 3100.25)],
        }
        srv.bars_page_size = 2  # the crypto answer takes two pages
        got = make(srv.base_url).minute_bars(
            ["AAPL", "BTCUSD", "ETH/USD"], begin, begin + timedelta(minutes=5)
        )
        stocks = [r.query for r in srv.requests if r.path == "/v2/stocks/bars"]
        crypto = [r.query for r in srv.requests if r.path == "/v1beta3/crypto/us/bars"]
    assert [q["symbols"] for q in stocks] == [["AAPL"]]
    assert [q["symbols"] for q in crypto] == [["BTC/USD,ETH/USD"]] * 2  # one request, 2 pages
    assert crypto[0]["timeframe"] == ["1Min"]
    assert "feed" not in crypto[0]  # the crypto endpoint has no feed
    assert crypto[1]["page_token"] == ["2"]
    assert set(got) == {"AAPL", "BTCUSD", "ETH/USD"}  # the caller's spellings
    assert [(b.t.minute, b.high) for b in got["BTCUSD"]] == [
        (1, Decimal(65000)),
        (2, Decimal("66000.5")),
    ]  # oldest first, Decimal
    assert got["ETH/USD"][0].high == Decimal("3100.25")


def test_only_crypto_asks_only_the_crypto_endpoint() -> None:
    begin = datetime(2026, 3, 1, 15, tzinfo=UTC)
    with FakeAlpaca() as srv:
        srv.crypto_bars = {"BTC/USD": [_bar("2026-03-01T15:01:00Z", 65000)]}
        got = make(srv.base_url).minute_bars(["BTCUSD"], begin, begin + timedelta(minutes=5))
        assert [r.path for r in srv.requests] == ["/v1beta3/crypto/us/bars"]
    assert list(got) == ["BTCUSD"]


def test_malformed_crypto_bars_name_the_crypto_endpoint() -> None:
    begin = datetime(2026, 3, 1, 15, tzinfo=UTC)
    with FakeAlpaca() as srv:
        srv.script(Reply(200, {"bars": {"BTC/USD": [{"t": "x"}]}}), path="/v1beta3/crypto/us/bars")
        with pytest.raises(BrokerUnavailable, match="/v1beta3/crypto/us/bars"):
            make(srv.base_url).minute_bars(["BTCUSD"], begin, begin + timedelta(minutes=5))


def test_demo_minute_bars_cover_crypto_on_weekends() -> None:
    sunday = datetime(2026, 3, 1, 15, tzinfo=UTC)
    bars = DemoMarketData().minute_bars(["AAPL", "BTCUSD"], sunday, sunday + timedelta(hours=1))
    assert "AAPL" not in bars  # stocks do not trade on Sunday
    instrument = lookup("BTCUSD")
    assert instrument is not None
    assert [b.high for b in bars["BTCUSD"]] == [price_on(instrument, sunday.date())]

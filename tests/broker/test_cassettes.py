"""The adapter against recorded (real-shaped) Alpaca exchanges: parsing and error mapping."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import vcr

from pm.broker.alpaca import AlpacaBroker
from pm.domain.errors import BrokerRejected, CredentialsError, NotFound
from pm.domain.models import OrderRequest
from tests.broker.conftest import API_KEY, SECRET_KEY, UtcClock

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
PAPER = "https://paper-api.alpaca.markets"

replay = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    filter_headers=["APCA-API-KEY-ID", "APCA-API-SECRET-KEY"],
    match_on=["method", "scheme", "host", "port", "path", "query"],
)


@pytest.fixture
def broker() -> Iterator[AlpacaBroker]:
    b = AlpacaBroker(
        api_key=API_KEY, secret_key=SECRET_KEY, base_url=PAPER, clock=UtcClock(), max_attempts=1
    )
    yield b
    b.close()


def test_no_cassette_holds_a_credential() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) >= 15
    for path in files:
        text = path.read_text()
        assert SECRET_KEY not in text, path.name
        assert API_KEY not in text, path.name
        assert "APCA-API-SECRET-KEY" not in text, path.name
        assert "APCA-API-KEY-ID" not in text, path.name


@pytest.mark.parametrize("name", ["account", "account_before_2026-07-06_with_pdt_fields"])
def test_account_both_shapes(broker: AlpacaBroker, name: str) -> None:
    with replay.use_cassette(f"{name}.yaml"):
        account = broker.get_account()
    assert account.account_id == "2f6e8a41-7c3b-4c0e-9a57-3f1d2b7e9c10"
    assert account.account_number == "PA2EMUL8DEMO"
    assert account.status == "ACTIVE"
    assert account.currency == "USD"
    assert account.equity == Decimal("100000")
    assert account.last_equity == Decimal("99450")
    assert account.cash == Decimal("67295")
    assert account.buying_power == Decimal("132895")
    assert account.long_market_value == Decimal("33905")
    assert account.short_market_value == Decimal("-1200")
    assert isinstance(account.equity, Decimal)


def test_positions_long_short_crypto(broker: AlpacaBroker) -> None:
    with replay.use_cassette("positions.yaml"):
        aapl, tsla, btc = broker.get_positions()
    assert (aapl.symbol, aapl.side, aapl.qty) == ("AAPL", "long", Decimal("10"))
    assert aapl.avg_entry_price == Decimal("180")
    assert aapl.current_price == Decimal("190.5")
    assert aapl.market_value == Decimal("1905")
    assert aapl.unrealized_pl == Decimal("105")
    assert aapl.unrealized_pl_pct == Decimal("5.83333333333333")
    assert (tsla.symbol, tsla.side, tsla.qty) == ("TSLA", "short", Decimal("-5"))
    assert tsla.market_value == Decimal("-1200")
    assert tsla.cost_basis == Decimal("-1250")
    assert tsla.unrealized_pl == Decimal("50")
    assert tsla.unrealized_pl_pct == Decimal("4.00")
    assert (btc.symbol, btc.asset_class, btc.qty) == ("BTCUSD", "crypto", Decimal("0.5"))
    assert btc.market_value == Decimal("32000")


def test_one_position(broker: AlpacaBroker) -> None:
    with replay.use_cassette("position_tsla_short.yaml"):
        tsla = broker.get_position("TSLA")
    assert tsla.qty == Decimal("-5")
    assert tsla.side == "short"
    assert tsla.asset_id == "8ccae427-5dd0-45b3-b5fe-7ba5e422c766"


def test_position_not_found(broker: AlpacaBroker) -> None:
    with replay.use_cassette("position_not_found_404.yaml"), pytest.raises(NotFound) as err:
        broker.get_position("NFLX")
    assert err.value.message == "no open position in NFLX"


def test_submit_order(broker: AlpacaBroker) -> None:
    request = OrderRequest("AAPL", "buy", "pm-20241125-aapl-buy-0001", qty=Decimal("10"))
    with replay.use_cassette("submit_order.yaml") as cassette:
        order = broker.submit_order(request)
    assert order.id == "7b08df51-c1ac-453c-99f9-323a5f075f0d"
    assert order.client_order_id == "pm-20241125-aapl-buy-0001"
    assert (order.symbol, order.side, order.type, order.status) == ("AAPL", "buy", "market", "new")
    assert order.qty == Decimal("10")
    assert order.notional is None
    assert order.filled_qty == Decimal("0")
    assert order.submitted_at == datetime(2024, 11, 25, 15, 2, 11, 577215, tzinfo=UTC)
    assert order.filled_at is None
    # quantities go on the wire as strings, never through float
    assert b'"qty": "10"' in cassette.requests[0].body


def test_submit_order_rejected(broker: AlpacaBroker) -> None:
    request = OrderRequest("AAPL", "buy", "pm-20241125-aapl-buy-0003", qty=Decimal("1000"))
    with (
        replay.use_cassette("submit_order_insufficient_buying_power_403.yaml"),
        pytest.raises(BrokerRejected) as err,
    ):
        broker.submit_order(request)
    assert err.value.status_code == 403
    assert err.value.code == 40310000
    assert "insufficient buying power" in err.value.message


def test_submit_order_duplicate_client_id_resolves_by_lookup(broker: AlpacaBroker) -> None:
    request = OrderRequest("AAPL", "buy", "pm-20241125-aapl-buy-0001", qty=Decimal("10"))
    with replay.use_cassette("submit_order_duplicate_client_order_id_422.yaml") as cassette:
        order = broker.submit_order(request)
    assert [r.method for r in cassette.requests] == ["POST", "GET"]
    assert order.client_order_id == "pm-20241125-aapl-buy-0001"
    assert order.status == "filled"
    assert order.filled_avg_price == Decimal("190.12")


def test_order_by_client_id(broker: AlpacaBroker) -> None:
    with replay.use_cassette("order_by_client_id.yaml"):
        order = broker.get_order_by_client_id("pm-20241125-aapl-buy-0001")
    assert order is not None
    assert order.status == "filled"
    assert order.filled_qty == Decimal("10")
    assert order.filled_avg_price == Decimal("190.12")
    assert order.filled_at == datetime(2024, 11, 25, 15, 2, 11, 947311, tzinfo=UTC)


def test_order_by_client_id_not_found_is_none(broker: AlpacaBroker) -> None:
    with replay.use_cassette("order_by_client_id_not_found_404.yaml"):
        assert broker.get_order_by_client_id("pm-unknown-0001") is None


def test_close_position(broker: AlpacaBroker) -> None:
    with replay.use_cassette("close_position.yaml") as cassette:
        order = broker.close_position("AAPL", qty=Decimal("5"))
    assert cassette.requests[0].query == [("qty", "5")]
    assert (order.symbol, order.side, order.qty, order.status) == (
        "AAPL",
        "sell",
        Decimal("5"),
        "accepted",
    )


def test_close_all_partial_failure(broker: AlpacaBroker) -> None:
    with replay.use_cassette("close_all_positions_207_partial_failure.yaml") as cassette:
        results = broker.close_all_positions(cancel_orders=True)
    assert cassette.requests[0].query == [("cancel_orders", "True")]
    aapl, tsla, btc = results
    assert (aapl.symbol, aapl.status_code, aapl.ok, aapl.order) == ("AAPL", 403, False, None)
    assert aapl.error == "insufficient qty available for order (requested: 10, available: 0)"
    assert tsla.ok
    assert tsla.order is not None
    assert (tsla.order.side, tsla.order.qty) == ("buy", Decimal("5"))
    assert btc.symbol == "BTCUSD"  # close-all speaks position symbols ...
    assert btc.order is not None
    assert btc.order.symbol == "BTC/USD"  # ... and its orders speak order symbols
    assert btc.order.submitted_at == datetime(2024, 11, 25, 16, 53, 29, 667750, tzinfo=UTC)


def test_clock(broker: AlpacaBroker) -> None:
    with replay.use_cassette("clock.yaml"):
        clock = broker.get_clock()
    assert clock.is_open is True
    assert clock.timestamp == datetime(2024, 11, 25, 15, 15, 22, 451420, tzinfo=UTC)
    assert clock.next_open == datetime(2024, 11, 26, 14, 30, tzinfo=UTC)
    assert clock.next_close == datetime(2024, 11, 25, 21, 0, tzinfo=UTC)
    assert clock.timestamp.tzinfo is UTC


def test_calendar(broker: AlpacaBroker) -> None:
    with replay.use_cassette("calendar.yaml") as cassette:
        days = broker.get_calendar(date(2024, 11, 25), date(2024, 12, 2))
    assert sorted(cassette.requests[0].query) == [("end", "2024-12-02"), ("start", "2024-11-25")]
    assert [d.date for d in days] == [
        date(2024, 11, 25),
        date(2024, 11, 26),
        date(2024, 11, 27),
        date(2024, 11, 29),
        date(2024, 12, 2),
    ]
    assert days[0].open == datetime(2024, 11, 25, 14, 30, tzinfo=UTC)  # 09:30 New York (EST)
    assert days[3].close == datetime(2024, 11, 29, 18, 0, tzinfo=UTC)  # half day, 13:00


@pytest.mark.parametrize(
    ("symbol", "cassette_name", "asset_class", "shortable"),
    [
        ("AAPL", "asset_aapl.yaml", "us_equity", True),
        ("BTC/USD", "asset_crypto_btcusd.yaml", "crypto", False),
    ],
)
def test_asset(
    broker: AlpacaBroker, symbol: str, cassette_name: str, asset_class: str, shortable: bool
) -> None:
    with replay.use_cassette(cassette_name):
        asset = broker.get_asset(symbol)
    assert asset.symbol == symbol
    assert asset.asset_class == asset_class
    assert asset.tradable is True
    assert asset.fractionable is True
    assert asset.shortable is shortable


@pytest.mark.parametrize("name", ["unauthorized_401.yaml", "forbidden_gateway_403.yaml"])
def test_auth_failures_are_credentials_errors(broker: AlpacaBroker, name: str) -> None:
    with replay.use_cassette(name), pytest.raises(CredentialsError) as err:
        broker.get_account()
    assert SECRET_KEY not in str(err.value)
    assert API_KEY not in str(err.value)
    assert "ALPACA_API_KEY" in err.value.message

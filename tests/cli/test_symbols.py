"""One symbol, one spelling: BTC/USD, btcusd and BTCUSD are the same holding everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pm.broker.alpaca import AlpacaBroker, parse
from pm.domain.portfolio import holding_key
from tests.cli.conftest import API_KEY, SECRET_KEY, PmRunner
from tests.support.fake_alpaca import FakeAlpaca, payload


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def spelled_with_a_slash(alpaca: FakeAlpaca) -> None:
    """The broker reports the crypto position as BTC/USD (the order spelling)."""
    alpaca.positions = [
        {**p, "symbol": "BTC/USD"} if p["symbol"] == "BTCUSD" else p for p in alpaca.positions
    ]


@pytest.mark.parametrize("spelling", ["BTC/USD", "btc/usd", "BTCUSD", " btcusd "])
def test_holding_key_is_one_spelling(spelling: str) -> None:
    assert holding_key(spelling) == "BTCUSD"


@pytest.mark.parametrize("spelling", ["BTC/USD", "btcusd", "BtcUsd"])
def test_book_add_refuses_a_holding_already_open_in_another_spelling(
    pm: PmRunner, spelling: str
) -> None:
    assert pm("--demo", "positions", "--json").code == 0  # the demo book holds BTCUSD
    out = pm("--demo", "book", "add", "--symbol", spelling, "--qty", "1", "--entry-price", "1")
    assert out.code == 2
    assert (
        out.stderr.strip()
        .splitlines()[-1]
        .startswith("error: BTCUSD is already open in the book (id ")
    )


def test_book_add_keeps_the_position_spelling(pm: PmRunner) -> None:
    assert pm("--demo", "positions", "--json").code == 0
    out = pm("--demo", "book", "add", "--symbol", "eth/usd", "--qty", "2", "--entry-price", "3",
             "--json")  # fmt: skip
    assert out.code == 0, out.stderr
    assert (out.json()["symbol"], out.json()["asset_class"]) == ("ETHUSD", "crypto")
    again = pm("--demo", "book", "add", "--symbol", "ETHUSD", "--qty", "1", "--entry-price", "1")
    assert again.code == 2
    assert "ETHUSD is already open in the book" in again.stderr


@pytest.mark.parametrize("spelling", ["BTCUSD", "btcusd", "BTC/USD"])
def test_positions_show_finds_a_position_the_broker_spells_otherwise(
    pm: PmRunner, alpaca: FakeAlpaca, spelling: str
) -> None:
    spelled_with_a_slash(alpaca)
    out = pm("positions", "show", spelling, "--json")
    assert out.code == 0, out.stderr
    assert (out.json()["symbol"], out.json()["qty"]) == ("BTC/USD", Decimal("0.5"))


def test_positions_show_of_a_symbol_not_held_is_not_found(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    out = pm("positions", "show", "ethusd", "--json")
    assert out.code == 4
    assert out.error()["error"] == "NotFound"


def test_sectors_show_merges_the_spellings(pm: PmRunner) -> None:
    out = pm("sectors", "show", "BTC/USD", "btcusd", "BTCUSD", "aapl", "AAPL", "--json")
    assert out.code == 0, out.stderr
    assert [(row["symbol"], row["sector"]) for row in out.json()] == [
        ("BTCUSD", "Crypto"),
        ("AAPL", "Information Technology"),
    ]


def test_symbols_in_url_paths_are_percent_encoded() -> None:
    with FakeAlpaca() as srv:
        spelled_with_a_slash(srv)
        broker = AlpacaBroker(
            api_key=API_KEY, secret_key=SECRET_KEY, base_url=srv.base_url, clock=Clock()
        )
        order = broker.close_position("BTC/USD")
        asset = broker.get_asset("BTC/USD")
        position = broker.get_position("BTC/USD")
    paths = [(r.method, r.path) for r in srv.requests]
    assert paths == [
        ("DELETE", "/v2/positions/BTC%2FUSD"),
        ("GET", "/v2/assets/BTC%2FUSD"),
        ("GET", "/v2/positions/BTC%2FUSD"),
    ]
    assert (order.symbol, asset.asset_class, position.symbol) == ("BTC/USD", "crypto", "BTC/USD")


def test_stray_whitespace_in_broker_symbols_is_removed_at_the_edge() -> None:
    wire = payload("trading/positions")
    wire[0]["symbol"] = " AAPL\t"
    wire[2]["symbol"] = "BTCUSD "
    assert [p.symbol for p in parse.parse_positions(wire)] == ["AAPL", "TSLA", "BTCUSD"]
    order = payload("trading/close_position_order")
    order["symbol"] = "\nBTC/USD "
    assert parse.parse_order(order).symbol == "BTC/USD"
    asset = payload("trading/asset_aapl")
    asset["symbol"] = "AAPL "
    assert parse.parse_asset(asset).symbol == "AAPL"


def test_a_blank_broker_symbol_is_malformed() -> None:
    wire = payload("trading/positions")
    wire[1]["symbol"] = "   "
    with pytest.raises(parse.MalformedResponse, match=r"positions\[1\].symbol: not a symbol"):
        parse.parse_positions(wire)

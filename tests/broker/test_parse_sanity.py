"""The broker edge: the numbers it accepts, the status fields it reads, and what it refuses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pm.broker.alpaca import parse
from pm.broker.alpaca.parse import MalformedResponse
from tests.support.fake_alpaca import payload


def test_account_status_flags_and_pdt_fields() -> None:
    plain = parse.parse_account(payload("trading/account"))
    assert (plain.trading_blocked, plain.account_blocked, plain.trade_suspended_by_user) == (
        False,
        False,
        False,
    )
    assert plain.shorting_enabled is True
    assert (plain.pattern_day_trader, plain.daytrade_count) == (None, None)  # not reported
    restricted = parse.parse_account(payload("trading/account_restricted"))
    assert restricted.trading_blocked is True
    assert restricted.shorting_enabled is False
    pdt = parse.parse_account(payload("trading/account_before_2026-07-06_with_pdt_fields"))
    assert (pdt.pattern_day_trader, pdt.daytrade_count) == (False, 0)


def test_missing_flags_mean_nothing_is_blocked() -> None:
    raw = payload("trading/account")
    for key in (
        "trading_blocked",
        "account_blocked",
        "trade_suspended_by_user",
        "shorting_enabled",
    ):
        del raw[key]
    account = parse.parse_account(raw)
    assert not account.trading_blocked
    assert account.shorting_enabled


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"trading_blocked": "yes"}, "expected a boolean"),
        ({"daytrade_count": "three"}, "not a count"),
        ({"daytrade_count": -1}, "not a count"),
        ({"equity": "1e400"}, "out of range"),
        ({"buying_power": "-1e19"}, "out of range"),
        ({"cash": "sNaN"}, "not a finite number"),
    ],
)
def test_a_bad_account_is_malformed(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(MalformedResponse, match=message):
        parse.parse_account({**payload("trading/account"), **changes})


def test_qty_available_is_read_and_defaults_to_unknown() -> None:
    held = parse.parse_position(payload("trading/position_held_for_orders"))
    assert (held.qty, held.qty_available, held.available) == (Decimal(35), Decimal(15), 15)
    raw = payload("trading/position_aapl")
    del raw["qty_available"]
    for position in (parse.parse_position(raw), parse.parse_positions([raw])[0]):
        assert position.qty_available is None
        assert position.available == position.qty
    (streamed,) = parse.parse_positions([payload("trading/position_held_for_orders")])
    assert streamed.qty_available == Decimal(15)


def test_eighteen_integer_digits_pass_nineteen_do_not() -> None:
    ok = {**payload("trading/position_aapl"), "market_value": "999999999999999999.99"}
    assert parse.parse_positions([ok])[0].market_value == Decimal("999999999999999999.99")
    bad = {**ok, "market_value": "1000000000000000000"}
    with pytest.raises(MalformedResponse, match="more than 18 digits"):
        parse.parse_positions([bad])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"qty": "1e400"}, "out of range"),
        ({"qty": "Infinity"}, "not a finite number"),
        ({"current_price": "-0.01"}, "a price cannot be negative"),
        ({"avg_entry_price": "-5"}, "a price cannot be negative"),
        ({"qty": "-10"}, "a long position with qty -10"),
        ({"qty_available": "-1"}, "qty_available: a long position"),
        ({"qty_available": "NaN"}, "not a finite number"),
        ({"side": "short"}, "a short position with qty 10"),
    ],
)
def test_impossible_positions_are_malformed(changes: dict[str, Any], message: str) -> None:
    raw = {**payload("trading/position_aapl"), **changes}
    for parser in (parse.parse_position, lambda r: parse.parse_positions([r])):
        with pytest.raises(MalformedResponse, match=message):
            parser(raw)


def test_a_short_keeps_its_negative_qty_and_available() -> None:
    short = parse.parse_position(payload("trading/position_short_tsla"))
    assert short.qty < 0
    assert short.qty_available is not None
    assert short.qty_available <= 0


def test_a_holding_listed_twice_is_malformed() -> None:
    aapl, btc = payload("trading/position_aapl"), payload("trading/position_crypto_btcusd")
    with pytest.raises(MalformedResponse, match=r"positions\[2\]: AAPL is listed twice"):
        parse.parse_positions([aapl, btc, aapl])
    with pytest.raises(MalformedResponse, match="listed twice"):
        parse.parse_positions([btc, {**btc, "symbol": "BTC/USD"}])


@pytest.mark.parametrize(
    "changes",
    [{"filled_avg_price": "-1"}, {"qty": "-3"}, {"filled_qty": "-1"}, {"notional": "1e400"}],
)
def test_impossible_orders_are_malformed(changes: dict[str, Any]) -> None:
    with pytest.raises(MalformedResponse):
        parse.parse_order({**payload("trading/order_filled"), **changes})


def test_whitespace_around_a_negative_qty_does_not_hide_its_sign() -> None:
    raw = {**payload("trading/position_aapl"), "qty": " -10", "qty_available": " -10"}
    with pytest.raises(MalformedResponse, match="a long position"):
        parse.parse_positions([raw])


def test_a_short_with_nothing_available_is_fine() -> None:
    raw = {**payload("trading/position_short_tsla"), "qty_available": "0"}
    (short,) = parse.parse_positions([raw])
    assert short.qty_available == 0


def test_a_huge_close_is_malformed_bars() -> None:
    from pm.broker.alpaca.market_data import MalformedBars, parse_page

    page = {"bars": {"AAPL": [{"t": "2024-11-25T05:00:00Z", "c": Decimal("1e400")}]}}
    with pytest.raises(MalformedBars, match="out of range"):
        parse_page(page, {})
    fine = {"bars": {"AAPL": [{"t": "2024-11-25T05:00:00Z", "c": Decimal("232.87")}]}}
    into: dict[str, list[tuple[Any, Decimal]]] = {}
    assert parse_page(fine, into) is None
    assert into["AAPL"][0][1] == Decimal("232.87")


def test_a_huge_latest_trade_is_no_price() -> None:
    from pm.broker.alpaca.latest_trade import AlpacaLatestTrades
    from tests.support.clocks import UtcClock
    from tests.support.fake_alpaca import FakeAlpaca, Reply

    with FakeAlpaca() as srv:
        body = b'{"trades": {"MSFT": {"t": "2024-11-25T20:59:59Z", "p": 1e400}}}'
        srv.script(Reply(200, body), path="/v2/stocks/trades/latest")
        latest = AlpacaLatestTrades(
            api_key="PKT", secret_key="s3cret", data_url=srv.base_url, clock=UtcClock()
        )
        assert latest.latest_price("MSFT") is None
        assert latest.latest_price("MSFT") == Decimal("420.0")  # the fake's normal answer

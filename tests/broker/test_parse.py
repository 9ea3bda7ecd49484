"""Wire parsing: exact Decimals, UTC timestamps, malformed input, and speed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.broker.alpaca import parse
from pm.broker.alpaca.parse import MalformedResponse
from pm.domain.money import parse_decimal
from tests.support.fake_alpaca import payload


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_parse_decimal_round_trips_any_decimal_string(value: Decimal) -> None:
    text = str(value)
    parsed = parse_decimal(text)
    assert str(parsed) == text  # same digits, same exponent
    assert parsed == value


@given(
    st.decimals(
        allow_nan=False,
        allow_infinity=False,
        places=8,
        min_value=Decimal("-1e18") + Decimal("1e-8"),
        max_value=Decimal("1e18") - Decimal("1e-8"),
    )
)
def test_positions_keep_wire_digits(value: Decimal) -> None:
    raw = {
        **payload("trading/position_aapl"),
        "qty": str(value),
        "market_value": str(value),
        "side": "short" if value < 0 else "long",
        "qty_available": str(value),
    }
    for position in (parse.parse_position(raw), parse.parse_positions([raw])[0]):
        assert str(position.qty) == str(value)
        assert position.market_value == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-11-25T16:53:29.54011523Z", datetime(2024, 11, 25, 16, 53, 29, 540115, tzinfo=UTC)),
        ("2024-11-25T16:53:29.999999999Z", datetime(2024, 11, 25, 16, 53, 29, 999999, tzinfo=UTC)),
        ("2024-11-25T21:00:00Z", datetime(2024, 11, 25, 21, 0, tzinfo=UTC)),
        ("2024-11-25T15:02:11.671123Z", datetime(2024, 11, 25, 15, 2, 11, 671123, tzinfo=UTC)),
        ("2024-11-25T15:02:11.5Z", datetime(2024, 11, 25, 15, 2, 11, 500000, tzinfo=UTC)),
        (
            "2024-11-28T12:00:04.123456789-05:00",
            datetime(2024, 11, 28, 17, 0, 4, 123456, tzinfo=UTC),
        ),
    ],
)
def test_timestamps(text: str, expected: datetime) -> None:
    parsed = parse.parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["yesterday", "2024-11-25T16:53:29", 12345, None])
def test_bad_timestamps(text: object) -> None:
    with pytest.raises(MalformedResponse):
        parse.parse_timestamp(text)


def test_percent_units() -> None:
    tsla = parse.parse_position(payload("trading/position_short_tsla"))
    assert tsla.unrealized_pl_pct == Decimal("4.00")  # wire: 0.04 (a fraction)
    assert tsla.qty == Decimal("-5")
    assert tsla.cost_basis == Decimal("-1250")


def test_fast_and_careful_position_paths_agree() -> None:
    raws = payload("trading/positions")
    assert parse.parse_positions(raws) == [parse.parse_position(r) for r in raws]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"qty": None}, "positions[0].qty: expected a number"),
        ({"qty": "ten"}, "positions[0].qty: not a number"),
        ({"qty": "Infinity"}, "positions[0].qty: not a finite number"),
        ({"side": "sideways"}, "positions[0].side"),
        ({"symbol": 7}, "positions[0].symbol: expected a string"),
    ],
)
def test_malformed_positions(change: dict[str, object], message: str) -> None:
    raw = {**payload("trading/position_aapl"), **change}
    with pytest.raises(MalformedResponse, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse.parse_positions([raw])


def test_missing_position_field() -> None:
    raw = payload("trading/position_aapl")
    del raw["unrealized_plpc"]
    with pytest.raises(MalformedResponse, match="missing field 'unrealized_plpc'"):
        parse.parse_positions([raw])


def test_positions_must_be_a_list() -> None:
    with pytest.raises(MalformedResponse, match="expected a list"):
        parse.parse_positions({"positions": []})


def test_json_number_money_is_accepted() -> None:
    raw = {**payload("trading/account"), "equity": Decimal("100000.10"), "cash": 5}
    account = parse.parse_account(raw)
    assert account.equity == Decimal("100000.10")
    assert account.cash == Decimal(5)


def test_notional_order() -> None:
    order = parse.parse_order(payload("trading/order_accepted_notional"))
    assert order.qty is None
    assert order.notional == Decimal("500")
    assert order.filled_avg_price is None


def test_crypto_order_keeps_slash_symbol() -> None:
    assert parse.parse_order(payload("trading/order_crypto_pending_new")).symbol == "BTC/USD"


def test_every_reference_order_parses() -> None:
    for name in (
        "order_canceled",
        "order_filled",
        "order_new_market_qty",
        "order_partially_filled_limit",
        "order_rejected",
    ):
        assert_parsed_as_sent(payload(f"trading/{name}"))
    for raw in payload("trading/orders"):
        assert_parsed_as_sent(raw)


def assert_parsed_as_sent(raw: dict[str, Any]) -> None:
    """The parsed order keeps the wire's identity, status and quantities, as Decimals."""
    order = parse.parse_order(raw)
    assert (order.id, order.client_order_id, order.status) == (
        raw["id"],
        raw["client_order_id"],
        raw["status"],
    )
    assert order.filled_qty == Decimal(raw["filled_qty"] or "0")
    assert order.qty == (Decimal(raw["qty"]) if raw.get("qty") else None)


def test_clock_closed() -> None:
    clock = parse.parse_clock(payload("trading/clock_closed"))
    assert clock.is_open is False
    assert clock.next_close == datetime(2024, 11, 29, 18, 0, tzinfo=UTC)


def test_ten_thousand_positions_parse_quickly() -> None:
    base = payload("trading/positions")
    raws = [{**base[i % 3], "symbol": f"S{i}"} for i in range(10_000)]
    parse.parse_positions(raws[:100])  # warm up
    started = time.perf_counter()
    positions = parse.parse_positions(raws)
    elapsed = time.perf_counter() - started
    assert len(positions) == 10_000
    assert positions[1].qty == Decimal("-5")
    # about 40 ms on the development machine; generous here so a loaded CI box passes
    assert elapsed < 0.5

"""The gate knows what the broker knows: each broker rule with its reason code, the
market-hours note, and limits compared on exact Decimals."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.domain.validation import BROKER_RULES, ValidationInput, decide
from tests.domain.validation_input import A_SMALL_BUY

D = Decimal

BASE = A_SMALL_BUY
HELD = replace(BASE, current_qty=D(35), side="sell", qty=D(20), available_qty=D(15))


def codes(v: ValidationInput) -> tuple[str, ...]:
    return decide(v).codes


def test_a_plain_order_breaks_no_rule() -> None:
    d = decide(BASE)
    assert d.approved
    assert d.broker_rules_ok
    assert d.rejections == ()
    assert d.notes == ()


# -- exact limits -----------------------------------------------------------------------------


def test_an_order_4_999_over_the_limit_at_10m_equity_is_rejected() -> None:
    """5 % of 10,000,000 is 500,000; 500,004.999 is 5.00004999 %, which rounds to 5.0000."""
    v = replace(
        BASE,
        equity=D(10_000_000),
        last_equity=D(10_000_000),
        buying_power=D(10_000_000),
        qty=D(1),
        price=D("500004.999"),
    )
    d = decide(v)
    assert d.position_pct == D("5.0000")  # what is shown: rounded
    assert not d.position_limit_ok  # what is compared: exact
    assert not d.approved
    assert d.codes == ("position_limit",)
    assert "5.00004999 %" in d.reasons[0]  # the sentence does not hide the excess


def test_the_limit_exactly_reached_still_passes() -> None:
    v = replace(BASE, equity=D(10_000_000), qty=D(1), price=D(500_000), buying_power=D(10**7))
    assert decide(v).approved


def test_a_sector_a_hair_over_is_rejected() -> None:
    v = replace(
        BASE,
        equity=D(10_000_000),
        buying_power=D(10**7),
        other_sector_value=D("2000000.000001"),
        qty=D(1),
        price=D(500_000),
    )
    d = decide(v)
    assert d.sector_pct == D("25.0000")
    assert d.codes == ("sector_limit",)


def test_buying_power_is_compared_before_rounding_to_cents() -> None:
    v = replace(BASE, qty=D(1), price=D("100.004"), buying_power=D("100.00"))
    d = decide(v)
    assert d.required_buying_power == D("100.00")  # shown rounded
    assert d.codes == ("buying_power",)


@given(
    st.decimals(min_value=D("0.000001"), max_value=D(20), places=6),
    st.integers(min_value=1_000, max_value=10**8),
)
def test_position_limit_is_exact(over: Decimal, equity: int) -> None:
    """Any order worth more than the limit is rejected, however little more."""
    limit_value = D(equity) * 5 / 100
    v = replace(BASE, equity=D(equity), buying_power=D(10**9), qty=D(1), price=limit_value + over)
    assert "position_limit" in codes(v)
    assert "position_limit" not in codes(replace(v, price=limit_value))


# -- qty_available ------------------------------------------------------------------------------


def test_selling_more_than_available_is_refused_even_when_reducing() -> None:
    d = decide(HELD)
    assert d.reducing  # every limit passes for a reducing order ...
    assert d.position_limit_ok
    assert not d.approved  # ... but the broker holds 20 shares for an open order
    assert d.codes == ("qty_available",)
    assert "only 15 of 35 are available (20 held for open orders)" in d.reasons[0]


def test_selling_what_is_available_passes() -> None:
    assert decide(replace(HELD, qty=D(15))).approved


def test_without_qty_available_all_of_the_position_is_available() -> None:
    assert decide(replace(HELD, available_qty=None)).approved


def test_covering_a_short_respects_its_available_qty() -> None:
    v = replace(BASE, current_qty=D(-5), side="buy", qty=D(5), available_qty=D(-2))
    assert codes(v) == ("qty_available",)
    assert decide(replace(v, available_qty=D(-5))).approved


# -- shorts ---------------------------------------------------------------------------------------


def test_selling_crypto_not_held_is_a_crypto_short() -> None:
    v = replace(BASE, symbol="BTCUSD", crypto=True, side="sell", qty=D("0.01"), price=D(90_000))
    assert codes(v) == ("crypto_short",)


def test_selling_more_crypto_than_held_is_a_crypto_short() -> None:
    v = replace(
        BASE, symbol="BTCUSD", crypto=True, side="sell", qty=D("0.02"), price=D(90_000),
        current_qty=D("0.01"),
    )  # fmt: skip
    assert "crypto_short" in codes(v)
    assert decide(replace(v, qty=D("0.01"))).approved  # selling what is held is fine


def test_a_fractional_short_is_refused_and_a_whole_one_passes() -> None:
    v = replace(BASE, side="sell", qty=D("1.5"))
    assert codes(v) == ("fractional_short",)
    assert decide(replace(v, qty=D(2))).approved


def test_a_fractional_sell_through_zero_is_a_fractional_short() -> None:
    v = replace(BASE, side="sell", qty=D("10.5"), current_qty=D(10))
    assert "fractional_short" in codes(v)


def test_fractional_sells_of_a_long_are_fine() -> None:
    assert decide(replace(BASE, side="sell", qty=D("2.5"), current_qty=D(10))).approved


def test_no_short_when_shorting_is_disabled() -> None:
    v = replace(BASE, side="sell", qty=D(5), shorting_enabled=False)
    assert codes(v) == ("shorting_disabled",)
    # adding to a short is a short too; closing one is not
    assert "shorting_disabled" in codes(replace(v, current_qty=D(-5)))
    assert decide(replace(v, side="buy", current_qty=D(-5))).approved


# -- account flags --------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["trading_blocked", "account_blocked", "trade_suspended_by_user"])
def test_account_flags_refuse_every_order_even_a_reducing_one(flag: str) -> None:
    for v in (BASE, replace(HELD, available_qty=None)):
        d = decide(replace(v, **{flag: True}))
        assert not d.approved
        assert d.codes == (flag,)
        assert f"`{flag}`" in d.reasons[0]


# -- pattern day trader ---------------------------------------------------------------------------

PDT = replace(
    HELD, available_qty=None, equity=D(20_000), last_equity=D(20_000), daytrade_count=3,
    pattern_day_trader=False, day_trade=True,
)  # fmt: skip


def test_a_fourth_day_trade_under_25k_is_refused() -> None:
    d = decide(PDT)
    assert d.codes == ("pattern_day_trader",)
    assert "3 day trades" in d.reasons[0]
    assert "under 25000" in d.reasons[0]


@pytest.mark.parametrize(
    "change",
    [
        {"daytrade_count": None, "pattern_day_trader": None},  # the fields left the account
        {"daytrade_count": 2},
        {"equity": D(25_000)},
        {"day_trade": False},
    ],
)
def test_no_pdt_refusal_otherwise(change: dict[str, object]) -> None:
    assert decide(replace(PDT, **change)).approved  # type: ignore[arg-type]


# -- minimums and market hours ------------------------------------------------------------


def test_a_notional_under_a_dollar_is_refused() -> None:
    v = replace(BASE, notional=D("0.99"), qty=D("0.0099"))
    assert codes(v) == ("notional_minimum",)
    assert decide(replace(v, notional=D(1), qty=D("0.01"))).approved


def test_more_than_nine_decimal_places_is_refused() -> None:
    assert codes(replace(BASE, qty=D("1.0000000001"))) == ("qty_precision",)
    assert decide(replace(BASE, qty=D("1.000000001"))).approved
    assert decide(replace(BASE, qty=D("1.0000000000"))).approved  # trailing zeros are fine


def test_a_market_order_while_closed_is_approved_with_a_note() -> None:
    d = decide(replace(BASE, market_open=False, next_open="2024-11-29 09:30 EST"))
    assert d.approved
    assert [n.code for n in d.notes] == ["market_closed"]
    assert "queues it until the open (next open 2024-11-29 09:30 EST)" in d.notes[0].text


@pytest.mark.parametrize(
    "change",
    [{"market_open": True}, {"market_open": None}, {"crypto": True}, {"order_type": "limit"}],
)
def test_no_market_note_otherwise(change: dict[str, object]) -> None:
    v = replace(BASE, **{"market_open": False, **change})  # type: ignore[arg-type]
    assert decide(v).notes == ()


def test_every_reason_comes_with_a_known_code() -> None:
    v = replace(
        BASE, side="sell", qty=D("1.5"), shorting_enabled=False, trading_blocked=True,
        notional=D("0.5"), breaker_halted=True,
    )  # fmt: skip
    d = decide(v)
    assert len(d.codes) == len(d.reasons)
    assert set(d.codes) == {
        "trading_blocked", "shorting_disabled", "fractional_short", "notional_minimum",
        "circuit_breaker",
    }  # fmt: skip
    limits = {"position_limit", "sector_limit", "daily_loss_limit", "circuit_breaker"}
    assert set(d.codes) <= set(BROKER_RULES) | limits | {"buying_power", "no_equity"}

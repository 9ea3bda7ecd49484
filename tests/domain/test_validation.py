"""Pre-trade validation rules: each rejection reason, thresholds, and reducing orders."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.domain.limits import RiskLimits
from pm.domain.validation import decide
from tests.domain.validation_input import A_SMALL_BUY

D = Decimal

BASE = A_SMALL_BUY


def test_a_small_buy_is_approved_with_its_figures() -> None:
    d = decide(BASE)
    assert d.approved
    assert d.reasons == ()
    assert d.estimated_position_value == D("1000.00")
    assert d.position_pct == D("1.0000")
    assert d.sector_pct == D("1.0000")
    assert d.required_buying_power == D("1000.00")
    assert not d.reducing


@pytest.mark.parametrize(
    ("qty", "ok"),
    [(D(49), True), (D(50), True), (D("50.01"), False), (D(51), False)],
)
def test_position_limit_at_and_around_five_percent(qty: Decimal, ok: bool) -> None:
    d = decide(replace(BASE, qty=qty))
    assert d.position_limit_ok is ok
    assert d.approved is ok
    assert any(r.startswith("position limit: AAPL") for r in d.reasons) is not ok


def test_the_existing_position_counts_towards_the_limit() -> None:
    d = decide(replace(BASE, current_qty=D(45), qty=D(10)))
    assert d.estimated_position_value == D("5500.00")
    assert d.position_pct == D("5.5000")
    assert not d.position_limit_ok


@pytest.mark.parametrize(
    ("other", "ok"), [(D(24_000), True), (D(24_001), False), (D(30_000), False)]
)
def test_sector_limit_counts_the_other_holdings_of_the_sector(other: Decimal, ok: bool) -> None:
    d = decide(replace(BASE, other_sector_value=other))
    assert d.sector_limit_ok is ok
    assert d.position_limit_ok
    assert d.approved is ok
    assert any("sector limit: Information Technology" in r for r in d.reasons) is not ok


@pytest.mark.parametrize(
    ("equity", "ok"),
    [(D(95_000), True), (D("94999.99"), False), (D(90_000), False), (D(120_000), True)],
)
def test_daily_loss_limit(equity: Decimal, ok: bool) -> None:
    d = decide(replace(BASE, equity=equity, qty=D(1)))
    assert d.daily_loss_ok is ok
    assert d.approved is ok
    assert any(r.startswith("daily loss limit") for r in d.reasons) is not ok


def test_halted_breaker_rejects_an_opening_order_and_names_the_reason() -> None:
    d = decide(replace(BASE, breaker_halted=True, breaker_reason="manual stop"))
    assert not d.circuit_breaker_ok
    assert not d.approved
    assert any("circuit breaker HALTED: manual stop" in r for r in d.reasons)


@pytest.mark.parametrize(("power", "ok"), [(D(1000), True), (D("999.99"), False)])
def test_buying_power(power: Decimal, ok: bool) -> None:
    d = decide(replace(BASE, buying_power=power))
    assert d.buying_power_ok is ok
    assert any(r.startswith("buying power") for r in d.reasons) is not ok


def test_every_reason_is_reported_at_once() -> None:
    d = decide(
        replace(
            BASE,
            qty=D(600),
            equity=D(90_000),
            other_sector_value=D(20_000),
            breaker_halted=True,
            buying_power=D(100),
        )
    )
    assert not any(
        (
            d.position_limit_ok,
            d.sector_limit_ok,
            d.daily_loss_ok,
            d.circuit_breaker_ok,
            d.buying_power_ok,
        )
    )
    assert len(d.reasons) == 5


@pytest.mark.parametrize(
    ("current", "side", "qty"),
    [(D(500), "sell", D(10)), (D(500), "sell", D(500)), (D(-300), "buy", D(300))],
)
def test_reducing_orders_pass_every_check_even_when_halted_and_over_limits(
    current: Decimal, side: str, qty: Decimal
) -> None:
    d = decide(
        replace(
            BASE,
            current_qty=current,
            side=side,  # type: ignore[arg-type]
            qty=qty,
            equity=D(80_000),  # 20 % down today
            other_sector_value=D(50_000),
            breaker_halted=True,
            breaker_reason="emergency close-all",
            buying_power=D(0),
        )
    )
    assert d.reducing
    assert d.approved
    assert d.reasons == ()
    assert d.required_buying_power == 0


def test_a_sell_that_flips_a_long_into_a_short_is_not_reducing() -> None:
    d = decide(replace(BASE, current_qty=D(10), side="sell", qty=D(15), breaker_halted=True))
    assert not d.reducing
    assert not d.circuit_breaker_ok
    assert d.estimated_position_value == D("-500.00")
    assert d.position_pct == D("0.5000")  # a short's size counts, not its sign
    assert d.required_buying_power == D("500.00")  # only the 5 that open the short


def test_limits_come_from_the_caller() -> None:
    order = replace(BASE, qty=D(80))
    assert not decide(order).approved
    assert decide(replace(order, limits=RiskLimits(max_position_pct=D(10)))).approved


def test_no_equity_rejects_opening_orders() -> None:
    d = decide(replace(BASE, equity=D(0), last_equity=D(0)))
    assert not d.approved
    assert d.position_pct is None
    assert any(r.startswith("equity is 0") for r in d.reasons)


@given(
    current=st.decimals(-1000, 1000, places=2),
    qty=st.decimals("0.01", 2000, places=2),
    side=st.sampled_from(["buy", "sell"]),
)
def test_percentages_never_negative_and_reducing_never_blocked(
    current: Decimal, qty: Decimal, side: str
) -> None:
    d = decide(
        replace(BASE, current_qty=current, qty=qty, side=side, breaker_halted=True)  # type: ignore[arg-type]
    )
    assert d.position_pct is not None
    assert d.position_pct >= 0
    assert d.sector_pct is not None
    assert d.sector_pct >= d.position_pct
    if d.reducing:
        assert d.approved
    else:
        assert not d.circuit_breaker_ok

"""Circuit breaker rules and the order arithmetic the checks rely on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pm.domain.breaker import auto_trip_reason, daily_loss_pct, never_tripped
from pm.domain.orders import is_reducing, opening_qty

D = Decimal


@pytest.mark.parametrize(
    ("equity", "last", "loss"),
    [
        (D(95_000), D(100_000), D(5)),
        (D(100_500), D(100_000), D("-0.5")),
        (D(1), D(0), D(0)),
        (D("99450"), D("100000"), D("0.55")),
        (D("94999.99"), D("100000"), D("5.00001")),
    ],
)
def test_daily_loss_pct(equity: Decimal, last: Decimal, loss: Decimal) -> None:
    assert daily_loss_pct(equity, last) == loss


@pytest.mark.parametrize(
    ("loss", "level", "trips"),
    [
        (D("4.99"), None, False),
        (D(5), None, False),  # exactly the limit does not trip
        (D("5.0001"), None, True),
        (D(0), "HIGH", False),
        (D(0), "CRITICAL", True),
        (D(0), "critical", True),
    ],
)
def test_auto_trip(loss: Decimal, level: str | None, trips: bool) -> None:
    reason = auto_trip_reason(loss_pct=loss, max_daily_loss_pct=D(5), risk_level=level)
    assert (reason is not None) is trips
    if trips and level is None:
        assert reason is not None
        assert "exceeds the 5 % limit" in reason


def test_a_new_breaker_is_active() -> None:
    status = never_tripped("acct")
    assert status.state == "ACTIVE"
    assert not status.halted
    assert status.changed_at is None


@pytest.mark.parametrize(
    ("current", "side", "qty", "reducing", "opening"),
    [
        (D(10), "sell", D(4), True, D(0)),
        (D(10), "sell", D(10), True, D(0)),
        (D(10), "sell", D(15), False, D(5)),
        (D(10), "buy", D(1), False, D(1)),
        (D(-5), "buy", D(5), True, D(0)),
        (D(-5), "sell", D(1), False, D(1)),
        (D(0), "sell", D(3), False, D(3)),
        (D(0), "buy", D(3), False, D(3)),
    ],
)
def test_reducing_and_opening(
    current: Decimal, side: str, qty: Decimal, reducing: bool, opening: Decimal
) -> None:
    assert is_reducing(current, side, qty) is reducing  # type: ignore[arg-type]
    assert opening_qty(current, side, qty) == opening  # type: ignore[arg-type]

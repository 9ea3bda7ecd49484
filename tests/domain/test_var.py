"""VaR / CVaR: a hand-worked series, an independent second computation, and properties."""

from __future__ import annotations

import math
import random
import statistics
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pm.domain.var import (
    align_returns,
    flat_var,
    historical_var,
    parametric_var,
    portfolio_pnl,
    tail_size,
    to_money,
)

D = Decimal


def test_hand_worked_series() -> None:
    # 100 days of one position worth 1000: five losing days of 5, 4, 3, 2, 1 %, the rest +0.5 %.
    # 95 %: tail = ceil(100 * 0.05) = 5 days -> VaR = 5th worst loss = 10,
    #        CVaR = (50 + 40 + 30 + 20 + 10) / 5 = 30.
    # 99 %: tail = ceil(100 * 0.01) = 1 day -> VaR = CVaR = 50.
    returns = [0.005] * 95 + [-0.05, -0.04, -0.03, -0.02, -0.01]
    random.Random(7).shuffle(returns)
    pnl = portfolio_pnl(np.array([returns]), np.array([1000.0]))
    result = historical_var(pnl)
    assert result.method == "historical"
    assert result.days == 100
    assert (result.var_95, result.cvar_95) == (D("10.00"), D("30.00"))
    assert (result.var_99, result.cvar_99) == (D("50.00"), D("50.00"))


def test_short_position_loses_when_the_price_rises() -> None:
    # long 1000 of A, short 500 of B; on the day A falls 2 % and B rises 4 %:
    # P/L = 1000 * -0.02 - 500 * 0.04 = -40, the only losing day of 20.
    r_a = [0.01] * 19 + [-0.02]
    r_b = [0.0] * 19 + [0.04]
    pnl = portfolio_pnl(np.array([r_a, r_b]), np.array([1000.0, -500.0]))
    result = historical_var(pnl)
    assert result.var_99 == D("40.00")
    assert result.cvar_95 == D("40.00")  # tail of 1 day at 95 % too: ceil(20 * 0.05) = 1


def _second_method(returns: list[list[float]], values: list[float], level: float) -> tuple[D, D]:
    """Independent: Decimal arithmetic, a full sort, the tail counted by hand."""
    days = len(returns[0])
    losses = []
    for t in range(days):
        pl = sum(D(repr(values[i])) * D(repr(returns[i][t])) for i in range(len(values)))
        losses.append(-pl)
    losses.sort(reverse=True)
    k = 1
    while k < days * (1 - level) - 1e-9:
        k += 1
    # expected shortfall: whole losses, then the boundary one by the fractional tail mass
    mass = D(days) * (1 - D(repr(level)))
    whole = int(mass)
    total = sum(losses[:whole], D(0)) + (mass - whole) * losses[whole] if mass > 1 else None
    return losses[k - 1], total / mass if total is not None else losses[0]


def test_historical_matches_an_independent_computation() -> None:
    rng = random.Random(42)
    n, days = 7, 252
    returns = [[round(rng.gauss(0, 0.015), 6) for _ in range(days)] for _ in range(n)]
    values = [round(rng.uniform(-20_000, 50_000), 2) for _ in range(n)]
    result = historical_var(portfolio_pnl(np.array(returns), np.array(values)))
    cent = D("0.01")
    for level, var, cvar in (
        (0.95, result.var_95, result.cvar_95),
        (0.99, result.var_99, result.cvar_99),
    ):
        want_var, want_cvar = _second_method(returns, values, level)
        assert var == want_var.quantize(cent)
        assert cvar == want_cvar.quantize(cent)


def test_parametric_against_statistics_module() -> None:
    pnl_list = [10.0, -20.0, 5.0, 7.5, -12.5, 30.0, -3.0, 0.0, 1.0, -8.0]
    sigma = statistics.stdev(pnl_list)
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    result = parametric_var(np.array(pnl_list))
    assert result.method == "parametric"
    assert result.var_95 == D(repr(1.6449 * sigma)).quantize(D("0.01"))
    assert result.var_99 == D(repr(2.3263 * sigma)).quantize(D("0.01"))
    assert result.cvar_95 == D(repr(sigma * phi(1.6449) / 0.05)).quantize(D("0.01"))
    assert result.cvar_99 == D(repr(sigma * phi(2.3263) / 0.01)).quantize(D("0.01"))


def test_parametric_uses_the_portfolio_series_not_a_covariance_matrix() -> None:
    # var(R v) equals v' C v for the sample covariance C: same sigma by both routes
    rng = np.random.default_rng(3)
    returns = rng.normal(0, 0.01, (4, 60))
    values = np.array([1000.0, -300.0, 2500.0, 50.0])
    via_cov = math.sqrt(values @ np.cov(returns) @ values)
    result = parametric_var(portfolio_pnl(returns, values))
    assert result.var_95 == D(repr(1.6449 * via_cov)).quantize(D("0.01"))


def test_flat_is_two_and_three_percent_of_equity() -> None:
    result = flat_var(D("123456.78"))
    assert (result.var_95, result.var_99) == (D("2469.14"), D("3703.70"))
    assert result.cvar_95 is None
    assert result.method == "flat"


def test_tail_sizes() -> None:
    assert tail_size(252, 0.95) == 13
    assert tail_size(252, 0.99) == 3
    assert tail_size(100, 0.95) == 5  # exactly 5, not 6 from float noise
    assert tail_size(10, 0.99) == 1


def test_to_money_never_negative_and_rejects_nan() -> None:
    assert to_money(-3.2) == D("0.00")
    assert to_money(1.005) == D("1.00")  # from the shortest repr "1.005", half-even
    with pytest.raises(ValueError, match="not a finite statistic"):
        to_money(float("nan"))


def test_align_returns_fills_gaps_with_zero_returns() -> None:
    d = [date(2026, 1, 1) + timedelta(days=i) for i in range(4)]
    history = align_returns(
        {
            "A": [(d[0], D(10)), (d[1], D(11)), (d[3], D("12.1"))],
            "B": [(d[1], D(5)), (d[2], D(4))],
            "C": [(d[0], D(1))],  # one close: no return, left out
        }
    )
    assert history.symbols == ("A", "B")
    assert history.days == (d[1], d[2], d[3])
    np.testing.assert_allclose(history.returns, [[0.1, 0.0, 0.1], [0.0, -0.2, 0.0]])


@settings(max_examples=60, deadline=None)
@given(
    returns=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.integers(2, 80)),
        elements=st.floats(-0.5, 0.5, allow_nan=False),
    ),
    data=st.data(),
)
def test_var99_at_least_var95_and_cvar_at_least_var(
    returns: np.ndarray, data: st.DataObject
) -> None:
    values = data.draw(
        hnp.arrays(np.float64, returns.shape[0], elements=st.floats(-1e6, 1e6, allow_nan=False))
    )
    pnl = portfolio_pnl(returns, values)
    for result in (historical_var(pnl), parametric_var(pnl)):
        assert result.var_99 >= result.var_95 >= 0
        assert result.cvar_95 is not None
        assert result.cvar_99 is not None
        assert result.cvar_95 >= result.var_95
        assert result.cvar_99 >= result.var_99


def test_cvar_weights_the_boundary_loss_by_the_fractional_tail() -> None:
    # 30 days, 95 %: tail mass 1.5 -> CVaR = (L1 + 0.5 L2) / 1.5; VaR = L2 (k = 2).
    # losses 90 and 60 (positions worth 1000: returns -9 %, -6 %), the rest gains.
    returns = [0.01] * 28 + [-0.09, -0.06]
    result = historical_var(portfolio_pnl(np.array([returns]), np.array([1000.0])))
    assert result.var_95 == D("60.00")
    assert result.cvar_95 == D("80.00")  # (90 + 30) / 1.5; the mean of the 2 worst says 75
    assert result.var_99 == D("90.00")
    assert result.cvar_99 == D("90.00")  # mass 0.3 < 1: the worst loss


def test_calendar_keeps_weekends_out_of_combined_returns() -> None:
    # Equity closes on weekdays, crypto on every day; on the equity calendar the crypto
    # weekend move lands on Monday and there are no weekend columns at all.
    days = [date(2024, 11, 1) + timedelta(days=n) for n in range(10)]  # Fri 1 .. Sun 10
    weekdays = [d for d in days if d.weekday() < 5]
    stock = [(d, D(100 + i)) for i, d in enumerate(weekdays)]
    coin = [(d, D(1000 + 10 * i)) for i, d in enumerate(days)]
    both = align_returns({"AAPL": stock, "BTCUSD": coin}, calendar={"AAPL"})
    assert both.days == tuple(weekdays[1:])
    assert all(d.weekday() < 5 for d in both.days)
    row = both.symbols.index("BTCUSD")
    # Fri 11-01 (1000) -> Mon 11-04 (1030): the weekend's move in Monday's return
    assert both.returns[row][0] == pytest.approx(1030 / 1000 - 1)
    alone = align_returns({"BTCUSD": coin}, calendar=None)
    assert len(alone.days) == 9  # crypto alone: every day


def test_check_bars() -> None:
    from pm.domain.var import check_bars

    start, end = date(2024, 1, 1), date(2024, 3, 31)
    closes = {
        "OLD": [(date(2023, 12, 29), D(10)), (date(2024, 1, 2), D(10)), (date(2024, 1, 3), D(11))],
        "NEW": [(date(2024, 3, 1), D(50)), (date(2024, 3, 4), D(51))],
        "SPLIT": [(date(2024, 1, 2), D(400)), (date(2024, 1, 3), D(100))],
        "FUTURE": [(date(2024, 1, 2), D(5)), (date(2024, 4, 2), D(5))],
    }
    checked = check_bars(closes, start, end)
    assert [d for d, _ in checked.closes["OLD"]] == [date(2024, 1, 2), date(2024, 1, 3)]
    assert checked.closes["FUTURE"] == [(date(2024, 1, 2), D(5))]
    text = " | ".join(checked.warnings)
    assert "OLD: dropped 1 bar(s)" in text
    assert "FUTURE: dropped 1 bar(s)" in text
    assert "NEW: price history only from 2024-03-01" in text
    assert "SPLIT: -75.0 % on 2024-01-03: a possible split or data error" in text
    assert "OLD: +10.0 %" not in text

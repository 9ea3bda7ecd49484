"""Golden tests of `pm.domain.performance` against empyrical-reloaded and quantstats.

Deliberate differences, each with its reason:
- CAGR: pm uses calendar time (365 / calendar days); empyrical and quantstats count periods
  (n / annualization). On a series with a point every calendar day and annualization 365 they
  agree, which is what the test compares; on a weekday-only series pm's figure is the one a
  person means by "per year".
- Max drawdown: pm's wealth index starts at 1 on the first equity point, the same anchor
  empyrical uses. quantstats' `max_drawdown` adds a "phantom baseline" day before the first
  observation; before 0.0.86 it guessed that baseline from the price level (100 000 above
  1 000, 100 above 10), a peak the account never reached, which reported a 50 % drawdown for a
  flat $50 series. pm's baseline is the first real equity point; quantstats 0.0.86 (the lower
  bound in pyproject) uses 1.0 for returns and the first price for prices, which the test
  checks is the same figure.
- Sortino: the downside deviation is over all periods (min(r - rf, 0)^2 averaged over every
  day), as empyrical and quantstats 0.0.86 define it; the risk-free rate is turned into a
  per-period rate (1 + R)^(1/A) - 1 and passed to empyrical as `required_return` (quantstats
  is compared at rf = 0, as its `rf` is subtracted differently).
- The TWR with flows: neither library knows about deposits; pm's daily returns with flows
  removed are fed to them, and the flow-adjusted returns are checked by hand.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import Decimal

import empyrical
import numpy as np
import pandas as pd
import pytest
import quantstats as qs

from pm.domain import performance as perf

START = date(2024, 1, 1)


def _series(
    n: int, seed: int, *, flows: dict[int, Decimal] | None = None
) -> list[perf.EquityPoint]:
    rng = random.Random(seed)
    flows = flows or {}
    equity = Decimal("100000.00")
    points = [perf.EquityPoint(START, equity)]
    for i in range(1, n):
        move = Decimal(str(round(rng.gauss(0.0004, 0.012), 6)))
        flow = flows.get(i, Decimal(0))
        equity = (equity * (1 + move) + flow).quantize(Decimal("0.01"))
        points.append(perf.EquityPoint(START + timedelta(days=i), equity, flow))
    return points


def _returns(points: list[perf.EquityPoint]) -> pd.Series:
    rows = perf.daily_returns(points)[1:]
    return pd.Series([r.ret for r in rows], index=pd.DatetimeIndex([r.day for r in rows]))


@pytest.fixture(params=[1, 2, 3])
def series(request: pytest.FixtureRequest) -> list[perf.EquityPoint]:
    return _series(400, request.param, flows={50: Decimal(5000), 200: Decimal(-3000)})


def test_deposit_is_not_a_gain() -> None:
    points = [
        perf.EquityPoint(date(2024, 1, 2), Decimal(1000)),
        perf.EquityPoint(date(2024, 1, 3), Decimal(1600), Decimal(500)),  # +500 deposit, +100
        perf.EquityPoint(date(2024, 1, 4), Decimal(1200), Decimal(-500)),  # -500 out, +100
    ]
    rows = perf.daily_returns(points)
    assert rows[1].ret == pytest.approx(0.10)
    assert rows[2].ret == pytest.approx(100 / 1600)
    assert perf.total_return([r.ret for r in rows[1:]]) == pytest.approx(1.1 * 1700 / 1600 - 1)


def test_total_and_cagr_match_empyrical_and_quantstats(series: list[perf.EquityPoint]) -> None:
    rets = _returns(series)
    total = perf.total_return(list(rets))
    assert total == pytest.approx(empyrical.cum_returns_final(rets), rel=1e-10)
    assert total == pytest.approx(qs.stats.comp(rets), rel=1e-10)
    days = (series[-1].day - series[0].day).days
    cagr = perf.annualized_return(total, days)
    assert cagr == pytest.approx(empyrical.cagr(rets, annualization=365), rel=1e-9)
    assert cagr == pytest.approx(qs.stats.cagr(rets, periods=365), rel=1e-9)


@pytest.mark.parametrize("periods", [252, 365])
def test_volatility_sharpe_sortino_match(series: list[perf.EquityPoint], periods: int) -> None:
    rets = _returns(series)
    values = list(rets)
    rf = perf.per_period_rate(0.04, periods)
    assert perf.volatility(values, periods) == pytest.approx(
        empyrical.annual_volatility(rets, annualization=periods), rel=1e-10
    )
    assert perf.volatility(values, periods) == pytest.approx(
        qs.stats.volatility(rets, periods=periods), rel=1e-10
    )
    assert perf.sharpe(values, rf, periods) == pytest.approx(
        empyrical.sharpe_ratio(rets, risk_free=rf, annualization=periods), rel=1e-9
    )
    assert perf.sharpe(values, 0.0, periods) == pytest.approx(
        qs.stats.sharpe(rets, periods=periods), rel=1e-9
    )
    assert perf.sortino(values, rf, periods) == pytest.approx(
        empyrical.sortino_ratio(rets, required_return=rf, annualization=periods), rel=1e-9
    )
    assert perf.sortino(values, 0.0, periods) == pytest.approx(
        qs.stats.sortino(rets, periods=periods), rel=1e-9
    )


def test_per_period_risk_free_compounds_back() -> None:
    assert (1 + perf.per_period_rate(0.05, 252)) ** 252 == pytest.approx(1.05)


def test_max_drawdown_matches_empyrical(series: list[perf.EquityPoint]) -> None:
    rows = perf.daily_returns(series)
    dd = perf.drawdown(rows)
    rets = _returns(series)
    assert dd.max_pct == pytest.approx(empyrical.max_drawdown(rets), rel=1e-10)
    prices = (1 + rets).cumprod()
    baseline = pd.concat([pd.Series([1.0], index=[pd.Timestamp(series[0].day)]), prices])
    assert dd.max_pct == pytest.approx(qs.stats.max_drawdown(baseline), rel=1e-10)
    assert dd.max_pct == pytest.approx(qs.stats.max_drawdown(rets), rel=1e-10)  # from returns
    # the dates: the peak is the wealth maximum before the trough, the trough the minimum ratio
    wealth = pd.Series([r.wealth for r in rows], index=[r.day for r in rows])
    ratio = wealth / wealth.cummax() - 1
    assert dd.trough == ratio.idxmin()
    assert dd.peak == wealth.loc[: dd.trough].idxmax()
    if dd.recovery is not None:
        after = wealth.loc[dd.trough :]
        assert dd.recovery == after[after >= wealth[dd.peak]].index[0]
        assert dd.days == (dd.recovery - dd.peak).days
    assert dd.current_pct == pytest.approx(ratio.iloc[-1])


def test_drawdown_dates_by_hand() -> None:
    values = [100, 110, 99, 88, 105, 111, 100]
    points = [perf.EquityPoint(START + timedelta(days=i), Decimal(v)) for i, v in enumerate(values)]
    dd = perf.drawdown(perf.daily_returns(points))
    assert dd.max_pct == pytest.approx(88 / 110 - 1)
    assert (dd.peak, dd.trough, dd.recovery) == (
        START + timedelta(days=1),
        START + timedelta(days=3),
        START + timedelta(days=5),
    )
    assert dd.days == 4
    assert dd.current_pct == pytest.approx(100 / 111 - 1)


def test_benchmark_beta_and_correlation_match_empyrical(series: list[perf.EquityPoint]) -> None:
    rng = random.Random(9)
    closes = [(p.day, Decimal(str(round(400 * (1 + rng.gauss(0, 0.05)), 2)))) for p in series]
    rows = perf.daily_returns(series)
    stats = perf.benchmark_stats("SPY", rows, closes)
    assert stats is not None
    rets = _returns(series)
    bench = pd.Series([float(c) for _, c in closes], index=pd.DatetimeIndex([d for d, _ in closes]))
    bench_rets = bench.pct_change().iloc[1:]
    assert stats.beta == pytest.approx(empyrical.beta(rets, bench_rets), rel=1e-9)
    assert stats.correlation == pytest.approx(float(np.corrcoef(rets, bench_rets)[0, 1]), rel=1e-9)
    assert stats.total_return == pytest.approx(float(closes[-1][1] / closes[0][1] - 1))


def test_xirr_by_hand() -> None:
    # 1000 in on 2023-01-01, 1100 back a year (365 days) later: 10 % a year.
    assert perf.xirr([(date(2023, 1, 1), Decimal(-1000)), (date(2024, 1, 1), Decimal(1100))]) == (
        pytest.approx(0.10, abs=1e-12)
    )
    # 1000 in, 500 more after half a year (181 days), 1600 out at 365 days: solve
    # -1000 (1+x)^1 - 500 (1+x)^(184/365) + 1600 = 0 at the end date; x = 8 % gives
    # 1080 + 519.78 = 1599.78, just short of 1600, so x is a little above 8 %.
    flows = [
        (date(2023, 1, 1), Decimal(-1000)),
        (date(2023, 7, 1), Decimal(-500)),
        (date(2024, 1, 1), Decimal(1600)),
    ]
    rate = perf.xirr(flows)
    assert rate is not None
    npv = -1000 * (1 + rate) ** 1 - 500 * (1 + rate) ** (184 / 365) + 1600
    assert npv == pytest.approx(0, abs=1e-7)
    assert 0.08 < rate < 0.0805
    assert perf.xirr([(date(2023, 1, 1), Decimal(-1))]) is None


def test_mwr_equals_twr_without_flows() -> None:
    points = _series(366, 4)
    rows = perf.daily_returns(points)
    twr = perf.annualized_return(perf.total_return([r.ret for r in rows[1:]]), 365)
    mwr = perf.xirr(perf.mwr_flows(points))
    assert twr is not None
    assert mwr == pytest.approx(twr, rel=1e-9)
    assert math.isfinite(mwr)


def test_trade_statistics_by_hand() -> None:
    from datetime import UTC, datetime

    from pm.domain.lots import ClosedLot

    def lot(pl: int, days: int) -> ClosedLot:
        opened = datetime(2026, 1, 5, 15, tzinfo=UTC)
        return ClosedLot(
            "AAPL", "long", Decimal(1), Decimal(100), Decimal(100 + pl),
            opened, opened + timedelta(days=days), "o", "c",
        )  # fmt: skip

    stats = perf.trade_stats([lot(100, 2), lot(-50, 4), lot(30, 6), lot(0, 8)])
    assert (stats.trades, stats.wins, stats.losses) == (4, 2, 1)
    assert stats.win_rate == 0.5
    assert stats.profit_factor == Decimal("2.6")  # 130 / 50
    assert (stats.avg_win, stats.avg_loss) == (Decimal(65), Decimal(-50))
    assert stats.expectancy == Decimal(20)  # 80 over 4 round trips
    assert (stats.largest_win, stats.largest_loss) == (Decimal(100), Decimal(-50))
    assert stats.avg_holding_days == 5.0
    no_losses = perf.trade_stats([lot(10, 1)])
    assert no_losses.profit_factor is None
    assert no_losses.avg_loss is None
    assert perf.trade_stats([]).win_rate is None

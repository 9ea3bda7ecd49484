"""Performance arithmetic: time- and money-weighted return, risk ratios, drawdown, trade
statistics and a benchmark comparison, over a daily equity series with its cash flows.

Money (equity, flows, P/L) stays Decimal. Statistics of returns (volatility, Sharpe, Sortino,
beta, correlation, XIRR, compounding to a power) are computed in binary floats: they need
square roots, fractional powers and iteration that Decimal does not offer, and their inputs
(daily returns) are ratios, not amounts. Each daily return is computed exactly in Decimal and
then converted once to float.

Definitions (the README's "pm performance" section repeats them with the formulas):

- daily return r_t = (E_t - F_t) / E_(t-1) - 1, F_t the day's external flows (deposits,
  withdrawals, journals), so a deposit is not a gain;
- total time-weighted return = prod(1 + r_t) - 1; annualized = (1 + total)^(365 / days) - 1
  with `days` the calendar days from the first to the last point (CAGR over calendar time);
- money-weighted return = the XIRR of: -E_0 on the first day, -F_t on each flow day and +E_n
  on the last day (day count actual/365, as spreadsheets' XIRR);
- volatility = sample standard deviation (ddof 1) of r_t x sqrt(A);
- Sharpe = mean(r_t - rf) / std(r_t - rf) x sqrt(A), rf = (1 + R)^(1/A) - 1 from the annual
  risk-free rate R;
- Sortino = mean(r_t - rf) x A / (sqrt(mean(min(r_t - rf, 0)^2)) x sqrt(A)) (empyrical's:
  downside deviation over all periods, not only the negative ones);
- drawdown on the wealth index W_0 = 1, W_t = W_(t-1) (1 + r_t) (flows removed): the largest
  fall from a running peak, with the peak, trough and recovery (first day back at the peak)
  dates; its duration is the calendar days from peak to recovery, or to the last day when it
  has not recovered; the current drawdown is W_n / max(W) - 1;
- A (annualization) is 252 periods a year for an equity-only account, 365 with crypto.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pm.domain.lots import ClosedLot

EQUITY_PERIODS = 252
CRYPTO_PERIODS = 365
#: Activity types that move money in or out of the account: they are not returns.
FLOW_TYPES = frozenset({"CSD", "CSW", "JNLC", "JNL"})


@dataclass(frozen=True, slots=True)
class EquityPoint:
    """The account's equity at one day's close and the external flows booked that day."""

    day: date
    equity: Decimal
    flow: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One day of the broker's portfolio history: equity at the close and that day's cash
    activities by type (CSD, CSW, JNLC, DIV, FEE, ...), as the broker reports them."""

    day: date
    equity: Decimal
    cashflow: Mapping[str, Decimal]

    def point(self) -> EquityPoint:
        return EquityPoint(self.day, self.equity, flows_of(self.cashflow))


@dataclass(frozen=True, slots=True)
class DailyReturn:
    day: date
    equity: Decimal
    flow: Decimal
    ret: float  # r_t (0 on the first point)
    wealth: float  # W_t, 1 on the first point
    drawdown: float  # W_t / max(W_0..W_t) - 1


@dataclass(frozen=True, slots=True)
class Drawdown:
    max_pct: float  # <= 0
    peak: date | None
    trough: date | None
    recovery: date | None
    days: int | None
    current_pct: float


@dataclass(frozen=True, slots=True)
class TradeStats:
    trades: int
    wins: int
    losses: int
    win_rate: float | None
    profit_factor: Decimal | None  # gross wins / gross losses; None without losses
    avg_win: Decimal | None
    avg_loss: Decimal | None  # negative: the average losing trade's P/L
    expectancy: Decimal | None  # mean P/L per trade
    largest_win: Decimal | None
    largest_loss: Decimal | None
    avg_holding_days: float | None
    realized_pl: Decimal


@dataclass(frozen=True, slots=True)
class BenchmarkStats:
    symbol: str
    total_return: float
    beta: float | None
    correlation: float | None
    days: int


def periods_per_year(holds_crypto: bool) -> int:
    return CRYPTO_PERIODS if holds_crypto else EQUITY_PERIODS


def flows_of(cashflow: Mapping[str, Decimal]) -> Decimal:
    """The external flow of a day from its per-activity-type amounts."""
    return sum((v for k, v in cashflow.items() if k in FLOW_TYPES), Decimal(0))


def daily_returns(points: Sequence[EquityPoint]) -> list[DailyReturn]:
    """r_t for every point after the first, with the wealth index and its drawdown.

    Points must be in date order; points before the account had equity (E <= 0) are dropped,
    and a day whose previous equity was not positive starts the index afresh (r_t = 0).
    """
    rows: list[DailyReturn] = []
    wealth = 1.0
    peak = 1.0
    prev: Decimal | None = None
    for p in points:
        if prev is None and p.equity <= 0:
            continue
        r = 0.0 if prev is None or prev <= 0 else float((p.equity - p.flow) / prev - 1)
        wealth *= 1.0 + r
        peak = max(peak, wealth)
        rows.append(DailyReturn(p.day, p.equity, p.flow, r, wealth, wealth / peak - 1.0))
        prev = p.equity
    return rows


def total_return(returns: Sequence[float]) -> float:
    wealth = 1.0
    for r in returns:
        wealth *= 1.0 + r
    return wealth - 1.0


def annualized_return(total: float, days: int) -> float | None:
    """CAGR over `days` calendar days; None for an empty period or a total loss."""
    if days <= 0 or total <= -1.0:
        return None
    return float((1.0 + total) ** (365.0 / days) - 1.0)


def per_period_rate(annual: float, periods: int) -> float:
    """The per-period rate that compounds to `annual` over `periods` periods."""
    return float((1.0 + annual) ** (1.0 / periods) - 1.0)


def _mean(xs: Sequence[float]) -> float:
    return math.fsum(xs) / len(xs)


def _std(xs: Sequence[float]) -> float | None:
    """Sample standard deviation (ddof 1); None with fewer than two values."""
    if len(xs) < 2:
        return None
    m = _mean(xs)
    return math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def volatility(returns: Sequence[float], periods: int) -> float | None:
    std = _std(returns)
    return None if std is None else std * math.sqrt(periods)


def sharpe(returns: Sequence[float], rf: float, periods: int) -> float | None:
    excess = [r - rf for r in returns]
    std = _std(excess)
    if std is None or std == 0:
        return None
    return _mean(excess) / std * math.sqrt(periods)


def sortino(returns: Sequence[float], rf: float, periods: int) -> float | None:
    if len(returns) < 2:
        return None
    excess = [r - rf for r in returns]
    downside = math.sqrt(_mean([min(x, 0.0) ** 2 for x in excess])) * math.sqrt(periods)
    if downside == 0:
        return None
    return _mean(excess) * periods / downside


def drawdown(rows: Sequence[DailyReturn]) -> Drawdown:
    """The deepest drawdown of the wealth index and the current one (see the module doc)."""
    if not rows:
        return Drawdown(0.0, None, None, None, None, 0.0)
    peak_value, peak_day = rows[0].wealth, rows[0].day
    worst, worst_peak, worst_trough = 0.0, None, None
    for row in rows:
        if row.wealth >= peak_value:
            peak_value, peak_day = row.wealth, row.day
        dd = row.wealth / peak_value - 1.0
        if dd < worst:
            worst, worst_peak, worst_trough = dd, peak_day, row.day
    current = rows[-1].drawdown
    if worst_peak is None or worst_trough is None:
        return Drawdown(0.0, None, None, None, None, current)
    peak_wealth = next(r.wealth for r in rows if r.day == worst_peak)
    recovery = next((r.day for r in rows if r.day > worst_trough and r.wealth >= peak_wealth), None)
    end = recovery if recovery is not None else rows[-1].day
    return Drawdown(worst, worst_peak, worst_trough, recovery, (end - worst_peak).days, current)


def xirr(flows: Sequence[tuple[date, Decimal]]) -> float | None:
    """The annual rate at which the flows' net present value is zero (actual/365).

    Flows are from the investor's side: money put in is negative, money taken out (or held at
    the end) positive. None when the flows do not change sign or no rate is found.
    """
    cash = [(d, float(a)) for d, a in flows if a != 0]
    if not cash or all(a > 0 for _, a in cash) or all(a < 0 for _, a in cash):
        return None
    start = min(d for d, _ in cash)
    terms = [((d - start).days / 365.0, a) for d, a in cash]

    def npv(rate: float) -> float:
        return math.fsum(a / (1.0 + rate) ** t for t, a in terms)

    # Bracket the root between -99.99 % and a rate where the sign changes, then bisect: slower
    # than Newton's method but it cannot diverge, and 200 halvings reach float precision.
    low, high = -0.9999, 1.0
    f_low = npv(low)
    while npv(high) * f_low > 0:
        high = high * 2 + 1
        if high > 1e9:
            return None
    for _ in range(200):
        mid = (low + high) / 2
        f_mid = npv(mid)
        if f_mid == 0 or high - low < 1e-15:
            return mid
        if (f_mid > 0) == (f_low > 0):
            low, f_low = mid, f_mid
        else:
            high = mid
    return (low + high) / 2


def mwr_flows(points: Sequence[EquityPoint]) -> list[tuple[date, Decimal]]:
    """The XIRR flows of a series: the starting equity in, each flow in, the end equity out.

    The first point's own flow is part of its equity already (the start is its close)."""
    kept = [p for p in points if p.equity > 0 or p.flow != 0]
    if len(kept) < 2:
        return []
    first, last = kept[0], kept[-1]
    flows = [(first.day, -first.equity)]
    flows += [(p.day, -p.flow) for p in kept[1:] if p.flow != 0]
    flows.append((last.day, last.equity))
    return flows


def trade_stats(closed: Iterable[ClosedLot]) -> TradeStats:
    """Statistics of round trips: each closed lot (or part of one) is one trade."""
    lots = list(closed)
    pls = [lot.realized_pl for lot in lots]
    wins = [pl for pl in pls if pl > 0]
    losses = [pl for pl in pls if pl < 0]
    gross_win = sum(wins, Decimal(0))
    gross_loss = sum(losses, Decimal(0))
    n = len(pls)
    total = sum(pls, Decimal(0))
    return TradeStats(
        trades=n,
        wins=len(wins),
        losses=len(losses),
        win_rate=len(wins) / n if n else None,
        profit_factor=gross_win / -gross_loss if losses else None,
        avg_win=gross_win / len(wins) if wins else None,
        avg_loss=gross_loss / len(losses) if losses else None,
        expectancy=total / n if n else None,
        largest_win=max(wins) if wins else None,
        largest_loss=min(losses) if losses else None,
        avg_holding_days=_mean([float(lot.holding_days) for lot in lots]) if lots else None,
        realized_pl=total,
    )


def benchmark_stats(
    symbol: str, rows: Sequence[DailyReturn], closes: Sequence[tuple[date, Decimal]]
) -> BenchmarkStats | None:
    """The benchmark's return, beta and correlation over the days both series have.

    Both series are reduced to their common days and each turned into returns from one common
    day to the next, so a day missing from either does not pair unrelated moves.
    """
    by_day = dict(closes)
    wealth = {row.day: row.wealth for row in rows}
    days = [d for d in sorted(wealth) if d in by_day and by_day[d] > 0]
    if len(days) < 2:
        return None
    port = [wealth[b] / wealth[a] - 1.0 for a, b in itertools.pairwise(days)]
    bench = [float(by_day[b] / by_day[a] - 1) for a, b in itertools.pairwise(days)]
    total = float(by_day[days[-1]] / by_day[days[0]] - 1)
    beta = correlation = None
    if len(port) >= 2:
        mp, mb = _mean(port), _mean(bench)
        cov = math.fsum((p - mp) * (b - mb) for p, b in zip(port, bench, strict=True))
        var_b = math.fsum((b - mb) ** 2 for b in bench)
        var_p = math.fsum((p - mp) ** 2 for p in port)
        if var_b > 0:
            beta = cov / var_b
            if var_p > 0:
                correlation = cov / math.sqrt(var_b * var_p)
    return BenchmarkStats(symbol, total, beta, correlation, len(days))

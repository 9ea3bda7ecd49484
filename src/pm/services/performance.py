"""`pm performance`: how the account did over a window, from its daily equity and the ledger.

Daily equity comes from the broker's portfolio history (Alpaca's
``GET /v2/account/portfolio/history`` at 1D with every cash flow type; the demo's simulated
past). When the broker cannot answer, the stored snapshots stand in (the last one of each
New York day), with the day's flows taken from the ledger's cash activities; `source` says
which; with fewer than two of them the broker's outage is the error. Trade statistics come
from the ledger's fills, matched FIFO into closed lots; the lots closed inside the window (by
New York trade date) count. The arithmetic is in `pm.domain.performance`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from pm.domain import performance as perf
from pm.domain.errors import BadInput, BrokerUnavailable, NotFound
from pm.domain.market_calendar import MARKET_TZ, trade_date
from pm.domain.models import Position
from pm.ports import Broker, MarketData, Repository

DEFAULT_DAYS = 365


@dataclass(frozen=True, slots=True)
class PerformanceReport:
    account_id: str
    start: date
    end: date
    rows: tuple[perf.DailyReturn, ...]
    annualization: int
    holds_crypto: bool
    total_return: float | None
    annualized_return: float | None
    mwr: float | None
    volatility: float | None
    sharpe: float | None
    sortino: float | None
    drawdown: perf.Drawdown
    trades: perf.TradeStats
    net_deposits: Decimal
    risk_free_rate: Decimal
    benchmark: perf.BenchmarkStats | None
    benchmark_symbol: str | None
    source: str  # the broker's name (its portfolio history) or "snapshots"
    warnings: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        """Calendar days from the first to the last equity point."""
        return (self.end - self.start).days


def window(since: date | None, until: date, *, today: date) -> tuple[date, date]:
    """The asked window: `since` (default a year before `until`) to `until`, not past today."""
    end = min(until, today)
    start = since if since is not None else end - timedelta(days=DEFAULT_DAYS)
    if start > today:
        raise BadInput(f"`since` ({start}) is in the future (today is {today})")
    if start > end:
        raise BadInput(f"`since` ({start}) is after `until` ({end})")
    return start, end


def performance(
    broker: Broker,
    repo: Repository,
    market_data: MarketData | None,
    account_id: str,
    *,
    start: date,
    end: date,
    risk_free_rate: Decimal = Decimal(0),
    benchmark: str | None = None,
) -> PerformanceReport:
    warnings: list[str] = []
    points, source = _equity(broker, repo, account_id, start, end, warnings)
    if len(points) < 2:
        raise NotFound(
            f"not enough daily equity for account {account_id} between {start} and {end} "
            f"({len(points)} day(s) from the broker's history or stored snapshots)"
        )
    crypto = _holds_crypto(broker, repo, account_id)
    periods = perf.periods_per_year(crypto)
    rows = perf.daily_returns(points)
    returns = [r.ret for r in rows[1:]]
    first, last = rows[0].day, rows[-1].day
    total = perf.total_return(returns)
    rf = perf.per_period_rate(float(risk_free_rate), periods)
    closed = [
        lot
        for lot in repo.ledger.lots(account_id).closed
        if first <= trade_date(lot.closed_at) <= last
    ]
    if not closed and repo.ledger.sync_state(account_id) is None:
        warnings.append(
            "no trade statistics: the trade ledger was never synced (run pm trades sync)"
        )
    kept = [p for p in points if p.day >= first]
    bench = None
    if benchmark is not None and market_data is not None:
        bench = _benchmark(market_data, benchmark, rows, warnings)
    return PerformanceReport(
        account_id=account_id,
        start=first,
        end=last,
        rows=tuple(rows),
        annualization=periods,
        holds_crypto=crypto,
        total_return=total,
        annualized_return=perf.annualized_return(total, (last - first).days),
        mwr=perf.xirr(perf.mwr_flows(kept)),
        volatility=perf.volatility(returns, periods),
        sharpe=perf.sharpe(returns, rf, periods),
        sortino=perf.sortino(returns, rf, periods),
        drawdown=perf.drawdown(rows),
        trades=perf.trade_stats(closed),
        net_deposits=sum((p.flow for p in kept[1:]), Decimal(0)),
        risk_free_rate=risk_free_rate,
        benchmark=bench,
        benchmark_symbol=benchmark,
        source=source,
        warnings=tuple(warnings),
    )


def _equity(
    broker: Broker,
    repo: Repository,
    account_id: str,
    start: date,
    end: date,
    warnings: list[str],
) -> tuple[list[perf.EquityPoint], str]:
    try:
        history = broker.get_portfolio_history(start, end)
    except BrokerUnavailable as exc:
        stored = snapshot_equity(repo, account_id, start, end)
        if len(stored) < 2:  # the snapshots cannot stand in: the outage is the answer
            raise
        warnings.append(f"portfolio history unavailable ({exc}); using stored snapshots")
        return stored, "snapshots"
    if len(history) >= 2:
        return [h.point() for h in history], broker.name
    warnings.append("the broker has no portfolio history for the window; stored snapshots")
    return snapshot_equity(repo, account_id, start, end), "snapshots"


def snapshot_equity(
    repo: Repository, account_id: str, start: date, end: date
) -> list[perf.EquityPoint]:
    """The last stored snapshot of each New York day as that day's equity, with the day's
    flows from the ledger's cash activities (dated in New York, as the broker's history is:
    an evening snapshot in New York is already the next day in UTC)."""
    since = datetime.combine(start, time(), MARKET_TZ)
    last_of_day: dict[date, Decimal] = {}
    for snap in reversed(repo.snapshots.history(account_id, since=since, limit=None)):
        day = trade_date(snap.timestamp)
        if start <= day <= end:
            last_of_day[day] = snap.equity
    flows: dict[date, Decimal] = {}
    for activity in repo.ledger.cash_activities(account_id, since=start):
        if activity.activity_type in perf.FLOW_TYPES:
            flows[activity.date] = flows.get(activity.date, Decimal(0)) + activity.net_amount
    return [
        perf.EquityPoint(day, equity, flows.get(day, Decimal(0)))
        for day, equity in sorted(last_of_day.items())
    ]


def _holds_crypto(broker: Broker, repo: Repository, account_id: str) -> bool:
    """Whether the account holds crypto now (the broker's positions, else the last snapshot)."""
    positions: Sequence[Position]
    try:
        positions = broker.get_positions()
    except BrokerUnavailable:
        latest = repo.snapshots.latest(account_id)
        positions = latest.positions if latest is not None else ()
    return any(p.asset_class == "crypto" for p in positions)


def _benchmark(
    market_data: MarketData,
    symbol: str,
    rows: Sequence[perf.DailyReturn],
    warnings: list[str],
) -> perf.BenchmarkStats | None:
    try:
        closes = market_data.daily_closes([symbol], rows[0].day, rows[-1].day)
    except BrokerUnavailable as exc:
        warnings.append(f"no benchmark: daily closes of {symbol} unavailable ({exc})")
        return None
    series = closes.closes.get(symbol)
    if not series:
        warnings.append(f"no benchmark: no daily closes of {symbol} from {market_data.name}")
        return None
    stats = perf.benchmark_stats(symbol, rows, series)
    if stats is None:
        warnings.append(f"no benchmark: {symbol} shares fewer than two days with the account")
    return stats

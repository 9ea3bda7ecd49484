"""The performance report (`pm performance --json`) and its daily series (`--csv`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pm.domain.money import CENT
from pm.domain.performance import DailyReturn
from pm.records.common import pct
from pm.services.performance import PerformanceReport

_RATIO = Decimal("0.0001")

SERIES_COLUMNS = ("date", "equity", "flow", "return_pct", "cumulative_return_pct", "drawdown_pct")


def percent(value: float | None) -> Decimal | None:
    """A fraction (a float statistic) as a percent to 4 places."""
    return None if value is None else pct(Decimal(repr(value * 100)))


def ratio(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(value)).quantize(_RATIO)


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


def report(r: PerformanceReport) -> dict[str, Any]:
    t = r.trades
    dd = r.drawdown
    b = r.benchmark
    return {
        "account_id": r.account_id,
        "start": r.start,
        "end": r.end,
        "days": r.days,
        "periods": len(r.rows) - 1,
        "annualization": r.annualization,
        "holds_crypto": r.holds_crypto,
        "total_return_pct": percent(r.total_return),
        "annualized_return_pct": percent(r.annualized_return),
        "mwr_pct": percent(r.mwr),
        "volatility_pct": percent(r.volatility),
        "risk_free_rate_pct": pct(r.risk_free_rate * 100),
        "sharpe": ratio(r.sharpe),
        "sortino": ratio(r.sortino),
        "max_drawdown_pct": percent(dd.max_pct),
        "max_drawdown_peak": dd.peak,
        "max_drawdown_trough": dd.trough,
        "max_drawdown_recovery": dd.recovery,
        "max_drawdown_days": dd.days,
        "current_drawdown_pct": percent(dd.current_pct),
        "trades": t.trades,
        "wins": t.wins,
        "losses": t.losses,
        "win_rate_pct": percent(t.win_rate),
        "profit_factor": None if t.profit_factor is None else t.profit_factor.quantize(_RATIO),
        "avg_win": _money(t.avg_win),
        "avg_loss": _money(t.avg_loss),
        "expectancy": _money(t.expectancy),
        "largest_win": _money(t.largest_win),
        "largest_loss": _money(t.largest_loss),
        "avg_holding_days": None
        if t.avg_holding_days is None
        else Decimal(repr(t.avg_holding_days)).quantize(Decimal("0.1")),
        "realized_pl": _money(t.realized_pl),
        "net_deposits": _money(r.net_deposits),
        "start_equity": _money(r.rows[0].equity),
        "end_equity": _money(r.rows[-1].equity),
        "benchmark": r.benchmark_symbol,
        "benchmark_return_pct": None if b is None else percent(b.total_return),
        "beta": None if b is None else ratio(b.beta),
        "correlation": None if b is None else ratio(b.correlation),
        "source": r.source,
    }


def day(row: DailyReturn) -> dict[str, Any]:
    return {
        "date": row.day,
        "equity": row.equity.quantize(CENT),
        "flow": row.flow.quantize(CENT),
        "return_pct": percent(row.ret),
        "cumulative_return_pct": percent(row.wealth - 1.0),
        "drawdown_pct": percent(row.drawdown),
    }

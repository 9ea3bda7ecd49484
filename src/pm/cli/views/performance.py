"""How the performance report looks: a table of measures; the daily series for --csv; the
equity curve and drawdown drawn with plotext for --chart."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pm.cli.terminal import Shown
from pm.cli.views.table import Col, FitTable
from pm.records import performance as records
from pm.services.performance import PerformanceReport

COLUMNS = (Col("Measure"), Col("Value", right=True), Col("Note", 1, wrap=True))


def report(r: PerformanceReport) -> Shown:
    data = records.report(r)
    return Shown(data, lambda: _table(r, data), warnings=r.warnings)


def series(r: PerformanceReport) -> Shown:
    return Shown(
        [records.day(row) for row in r.rows],
        "",
        columns=records.SERIES_COLUMNS,
        warnings=r.warnings,
    )


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:+.2f} %"


def _num(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def _table(r: PerformanceReport, d: dict[str, Any]) -> FitTable:
    rf = f"risk-free {d['risk_free_rate_pct']:.2f} % a year"
    recovery = d["max_drawdown_recovery"] or "not recovered"
    rows: list[tuple[str, str, str]] = [
        ("Period", f"{d['start']} to {d['end']}", f"{d['days']} days, {d['periods']} returns"),
        ("Equity", f"{_num(d['start_equity'])} → {_num(d['end_equity'])}", ""),
        ("Net deposits", _num(d["net_deposits"]), "deposits, withdrawals, journals"),
        ("Total return (TWR)", _pct(d["total_return_pct"]), "time-weighted: flows removed"),
        ("Annualized (CAGR)", _pct(d["annualized_return_pct"]), "over calendar time"),
        ("Money-weighted (XIRR)", _pct(d["mwr_pct"]), "a year"),
        (
            "Volatility",
            _pct(d["volatility_pct"]).lstrip("+"),
            f"annualized × √{d['annualization']}",
        ),
        ("Sharpe", _num(d["sharpe"]), rf),
        ("Sortino", _num(d["sortino"]), rf),
        (
            "Max drawdown",
            _pct(d["max_drawdown_pct"]),
            f"peak {d['max_drawdown_peak']}, trough {d['max_drawdown_trough']}, "
            f"{recovery}; {d['max_drawdown_days']} days",
        ),
        ("Current drawdown", _pct(d["current_drawdown_pct"]), ""),
        ("Round trips", str(d["trades"]), f"{d['wins']} won, {d['losses']} lost"),
        ("Win rate", _pct(d["win_rate_pct"]).lstrip("+"), ""),
        ("Profit factor", _num(d["profit_factor"]), "gross wins / gross losses"),
        ("Average win / loss", f"{_num(d['avg_win'])} / {_num(d['avg_loss'])}", ""),
        ("Expectancy", _num(d["expectancy"]), "mean P/L per round trip"),
        ("Largest win / loss", f"{_num(d['largest_win'])} / {_num(d['largest_loss'])}", ""),
        ("Average holding", f"{_num(d['avg_holding_days'])} days", ""),
    ]
    if d["benchmark"] is not None:
        rows += [
            (f"{d['benchmark']} return", _pct(d["benchmark_return_pct"]), "same days"),
            ("Beta / correlation", f"{_num(d['beta'])} / {_num(d['correlation'])}", ""),
        ]
    crypto = "holds crypto: 365 periods a year" if r.holds_crypto else "equity only: 252 a year"
    return FitTable(
        COLUMNS,
        rows,
        title=f"Performance of {r.account_id}",
        notes=[f"daily equity from {r.source}; {crypto}"],
    )


def chart(r: PerformanceReport, width: int, height: int, *, color: bool = True) -> str:
    """The equity curve above the drawdown, as text (plotext, imported only here)."""
    import plotext as plt

    xs = list(range(len(r.rows)))
    step = max(1, len(xs) // 5)
    ticks = xs[::step]
    labels = [r.rows[i].day.isoformat() for i in ticks]
    plt.clear_figure()
    plt.theme("pro" if color else "clear")
    plt.subplots(2, 1)
    plt.plotsize(width, height)
    plt.subplot(1, 1)
    plt.title(f"Equity ({r.start} to {r.end})")
    plt.plot(xs, [float(row.equity) for row in r.rows], marker="braille")
    plt.xticks(ticks, labels)
    plt.subplot(2, 1)
    plt.title("Drawdown % (flows removed)")
    plt.plot(xs, [row.drawdown * 100 for row in r.rows], marker="braille")
    plt.xticks(ticks, labels)
    text: str = plt.build()
    plt.clear_figure()
    return text

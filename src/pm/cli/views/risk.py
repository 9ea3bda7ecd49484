"""How a risk report looks: a panel of tables that fits the terminal; one record for --json.

Breaches are said once, in the report; the closing error line only counts them.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from pm.cli.terminal import Shown
from pm.cli.views.common import money, source_line
from pm.cli.views.table import Col, FitTable
from pm.records import risk as records
from pm.services.risk import RiskReport

_LEVEL_STYLE = {
    "LOW": "green",
    "MEDIUM": "yellow",
    "HIGH": "bold red",
    "CRITICAL": "bold white on red",
}


def _breaker_line(report: RiskReport) -> str:
    b = report.breaker
    if not b.halted:
        return "[green]ACTIVE[/]"
    now = " [bold](tripped now)[/]" if report.breaker_tripped_now else ""
    return f"[bold red]HALTED[/]{now}: {escape(b.reason or '')}"


def breach_line(report: RiskReport) -> str:
    """The closing error line: how many limits, not which (the report above says which)."""
    a = report.assessment
    count = sum(1 for x in a.alerts if x.is_breach)
    limits = "limit" if count == 1 else "limits"
    return f"{count} {limits} breached, risk level {a.level.name}"


def report(r: RiskReport) -> Shown:
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table

    a = r.assessment
    m = a.metrics
    v = r.var
    level = a.level.name
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold", no_wrap=True)
    summary.add_column(justify="right", no_wrap=True)
    top = (
        f"{m.max_concentration_symbol} {m.max_concentration_pct} %"
        if m.max_concentration_symbol
        else "no positions"
    )
    days = f", {v.days} days" if v.days else ""
    rows = [
        ("Risk level", f"[{_LEVEL_STYLE[level]}]{level}[/]"),
        ("Equity", money(m.equity)),
        ("Max concentration", top + (" [red](breached)[/]" if a.concentration_breached else "")),
        ("Drawdown", f"{m.drawdown_pct} % from peak {money(m.peak_equity)}"),
        ("VaR method", f"{v.method}{days}"),
        ("VaR 95 % / 99 %", f"{money(v.var_95)} / {money(v.var_99)}"),
    ]
    if v.cvar_95 is not None and v.cvar_99 is not None:
        rows.append(("CVaR 95 % / 99 %", f"{money(v.cvar_95)} / {money(v.cvar_99)}"))
    rows.append(("Circuit breaker", _breaker_line(r)))
    for label, value in rows:
        summary.add_row(label, value)
    breached = {x.sector for x in a.alerts if x.is_breach and x.sector is not None}
    sectors = FitTable(
        (Col("Sector"), Col("% of equity", right=True)),
        [
            (escape(name), f"[red]{pct}[/]" if name in breached else str(pct))
            for name, pct in m.sector_exposure.items()
        ],
        title="Sector exposure",
    )
    parts: list[Any] = [summary, sectors]
    if a.alerts:
        alerts = FitTable(
            (Col("Level", 1), Col("Code", 2), Col("Message", wrap=True)),
            [
                (
                    f"[{'red' if x.level == 'critical' else 'yellow'}]{x.level}[/]",
                    x.code,
                    escape(x.message),
                )
                for x in a.alerts
            ],
            title="Alerts",
        )
        parts.append(alerts)
    panel = Panel(
        Group(*parts), title=f"Risk {r.account_id}", subtitle=source_line(r.source), expand=False
    )
    return Shown(records.report(r), panel, warnings=r.warnings)

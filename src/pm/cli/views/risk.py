"""How a risk report looks: Rich tables at a terminal, one JSON object with --json."""

from __future__ import annotations

from typing import Any

from pm.cli.output import print_json, stdout_console, warn
from pm.cli.views.common import money, source_json, source_line
from pm.domain.risk import Alert
from pm.services.risk import RiskReport

_LEVEL_STYLE = {
    "LOW": "green",
    "MEDIUM": "yellow",
    "HIGH": "bold red",
    "CRITICAL": "bold white on red",
}


def alert_json(alert: Alert) -> dict[str, Any]:
    data: dict[str, Any] = {"level": alert.level, "code": alert.code, "message": alert.message}
    if alert.symbol is not None:
        data["symbol"] = alert.symbol
    if alert.sector is not None:
        data["sector"] = alert.sector
    return data


def as_json(report: RiskReport) -> dict[str, Any]:
    a = report.assessment
    m = a.metrics
    v = report.var
    return {
        "account_id": report.account_id,
        "equity": m.equity,
        "max_concentration_pct": m.max_concentration_pct,
        "max_concentration_symbol": m.max_concentration_symbol,
        "concentration_breached": a.concentration_breached,
        "sector_exposure": m.sector_exposure,
        "sector_breached": a.sector_breached,
        "var_95": v.var_95,
        "var_99": v.var_99,
        "cvar_95": v.cvar_95,
        "cvar_99": v.cvar_99,
        "var_method": v.method,
        "var_days": v.days,
        "var_excluded": list(report.var_excluded),
        "drawdown_pct": m.drawdown_pct,
        "peak_equity": m.peak_equity,
        "drawdown_breached": a.drawdown_breached,
        "risk_level": a.level.name,
        "alerts": [alert_json(x) for x in a.alerts],
        "circuit_breaker": report.breaker.state,
        "circuit_breaker_tripped_now": report.breaker_tripped_now,
        "positions": [
            {
                "symbol": symbol,
                "pct": pct,
                "sector": report.sectors[symbol].name if symbol in report.sectors else None,
                "sector_source": (
                    report.sectors[symbol].source if symbol in report.sectors else None
                ),
            }
            for symbol, pct in sorted(m.position_pct.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "source": source_json(report.source),
    }


def _breaker_line(report: RiskReport) -> str:
    b = report.breaker
    if not b.halted:
        return "[green]ACTIVE[/]"
    now = " [bold](tripped now)[/]" if report.breaker_tripped_now else ""
    return f"[bold red]HALTED[/]{now}: {b.reason}"


def breach_line(report: RiskReport) -> str:
    a = report.assessment
    what = [x.message for x in a.alerts if x.is_breach]
    more = f" (and {len(what) - 3} more)" if len(what) > 3 else ""
    return f"risk limit breached, level {a.level.name}: " + "; ".join(what[:3]) + more


def show(report: RiskReport, json_: bool) -> None:
    for message in report.warnings:
        warn(message)
    if json_:
        print_json(as_json(report))
        return
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table

    a = report.assessment
    m = a.metrics
    v = report.var
    level = a.level.name
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column(justify="right")
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
    rows.append(("Circuit breaker", _breaker_line(report)))
    for label, value in rows:
        summary.add_row(label, value)
    sectors = Table(title="Sector exposure", title_justify="left")
    sectors.add_column("Sector")
    sectors.add_column("% of equity", justify="right")
    for name, pct in m.sector_exposure.items():
        breach = any(x.sector == name and x.is_breach for x in a.alerts)
        sectors.add_row(name, f"[red]{pct}[/]" if breach else str(pct))
    parts: list[Any] = [summary, sectors]
    if a.alerts:
        alerts = Table(title="Alerts", title_justify="left")
        alerts.add_column("Level")
        alerts.add_column("Code")
        alerts.add_column("Message")
        for x in a.alerts:
            style = "red" if x.level == "critical" else "yellow"
            alerts.add_row(f"[{style}]{x.level}[/]", x.code, x.message)
        parts.append(alerts)
    subtitle = source_line(report.source)
    stdout_console().print(
        Panel(Group(*parts), title=f"Risk {report.account_id}", subtitle=subtitle, expand=False)
    )

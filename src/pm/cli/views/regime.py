"""How the regime looks: the inputs with their dates, the rule, the multiplier."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pm.cli.terminal import Shown
from pm.cli.views.common import humane_age, markup_escaped, when
from pm.domain.regime import Observation
from pm.records import regime as records
from pm.services.regime import RegimeReport

if TYPE_CHECKING:
    from rich.console import RenderableType

_STYLE = {
    "bullish": "bold green",
    "bearish": "bold red",
    "volatile": "bold yellow",
    "sideways": "bold",
    "unknown": "dim",
}


def report(r: RegimeReport) -> Shown:
    warnings = list(r.warnings)
    if r.hint:
        warnings.append(f"regime unknown: {r.hint}")
    if r.breaker_error:
        warnings.append(r.breaker_error)
    return Shown(records.report(r), lambda: _panel(r), warnings=warnings)


def _input(obs: Observation | None, unit: str = "") -> str:
    if obs is None:
        return "[dim]n/a[/]"
    return f"{obs.value:.2f}{unit}  [dim]{obs.date}[/]"


def _panel(r: RegimeReport) -> RenderableType:
    from rich.panel import Panel
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(no_wrap=False)
    c = r.call
    grid.add_row("Regime", f"[{_STYLE[c.regime]}]{c.regime}[/]  (x{c.multiplier} position size)")
    grid.add_row("Rule", markup_escaped(c.rule))
    grid.add_row("VIX", _input(r.inputs.vix))
    grid.add_row("10y-2y spread", _input(r.inputs.spread_10y2y))
    grid.add_row("10y-3m spread", _input(r.inputs.spread_10y3m))
    grid.add_row("Unemployment", _input(r.inputs.unemployment, " %"))
    for n, reason in enumerate(c.reasons):
        grid.add_row("Reasons" if n == 0 else "", markup_escaped(reason))
    if r.emergency_reason is not None:
        tripped = " (circuit breaker tripped now)" if r.breaker_tripped_now else ""
        grid.add_row(
            "Emergency stop", f"[bold red]{markup_escaped(r.emergency_reason)}{tripped}[/]"
        )
    else:
        grid.add_row("Emergency stop", f"no (VIX not above {r.emergency_limit.normalize():f})")
    if r.fetched_at is not None and r.age is not None:
        how = "stale cache" if r.stale else "cache" if r.cached else "fetched"
        grid.add_row("Data", f"{how}, {r.source} at {when(r.fetched_at)} ({humane_age(r.age)} ago)")
    else:
        grid.add_row("Data", "none")
    return Panel(grid, title="Market regime", expand=False)

"""How a Kelly sizing looks: each step, the suggested order and the gate's verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pm.cli.terminal import Shown
from pm.cli.views.common import markup_escaped, money, quantity, source_line
from pm.records import size as records
from pm.services.size import SizeReport

if TYPE_CHECKING:
    from rich.console import RenderableType


def report(r: SizeReport) -> Shown:
    warnings = list(r.regime.warnings)
    if r.regime.hint:
        warnings.append(f"regime unknown (x1.0): {r.regime.hint}")
    return Shown(records.report(r), lambda: _panel(r), warnings=warnings)


def _panel(r: SizeReport) -> RenderableType:
    from rich.panel import Panel
    from rich.table import Table

    s, z = r.stats, r.sizing
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    used = {
        "given": "given on the command line",
        "symbol": f"{s.trades} closed trades of {r.symbol} in the ledger",
        "account": f"{s.trades} closed trades of the account in the ledger",
    }[r.stats_from]
    grid.add_row("Inputs", used)
    grid.add_row(
        "Win rate / avg win / avg loss",
        f"{s.win_rate:.4f} / {money(s.avg_win)} / {money(s.avg_loss)}",
    )
    grid.add_row("Raw Kelly", f"{z.raw_kelly:.4f}  (p x W - q x L) / W")
    grid.add_row("x fraction", f"{z.fraction}")
    grid.add_row("x regime", f"{z.multiplier}  ({r.regime.call.regime})")
    grid.add_row("= Kelly size", f"{z.kelly_pct:.2f} % of equity {money(r.equity)}")
    capped = f"  (capped by {z.capped_by.replace('_', ' ')})" if z.capped_by else ""
    grid.add_row("Suggested", f"{z.suggested_pct:.2f} % = {money(z.suggested_value)}{capped}")
    unit = "fractional" if r.fractionable else "whole shares"
    order = f"buy {quantity(r.qty)} {r.symbol} at {money(r.price)} ({r.price_source}, {unit})"
    grid.add_row("Order", order if r.qty > 0 else "none (the suggested size is 0)")
    for n, reason in enumerate(z.reasons):
        grid.add_row("Why" if n == 0 else "", markup_escaped(reason))
    g = r.gate
    if g is None:
        grid.add_row("Pre-trade gate", "[dim]no order to check[/]")
    elif g.approved:
        grid.add_row("Pre-trade gate", "[bold green]APPROVED[/]")
    else:
        reasons = "; ".join(g.decision.reasons)
        grid.add_row("Pre-trade gate", f"[bold red]REJECTED[/]: {markup_escaped(reasons)}")
    return Panel(grid, title=f"Kelly size {r.symbol}", subtitle=source_line(r.source), expand=False)

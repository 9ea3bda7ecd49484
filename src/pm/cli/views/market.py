"""How the market clock looks: open or closed, the next open and close, today's session."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pm.cli.terminal import Shown
from pm.cli.views.common import source_line, when
from pm.domain.market_calendar import MARKET_TZ
from pm.records import market as records
from pm.services.market import MarketStatus, Session

if TYPE_CHECKING:
    from rich.console import RenderableType


def status(m: MarketStatus) -> Shown:
    return Shown(records.status(m), lambda: _panel(m))


def _at(moment: datetime) -> str:
    """UTC with Z, then New York time (the exchange's)."""
    local = moment.astimezone(MARKET_TZ).strftime("%a %Y-%m-%d %H:%M %Z")
    return f"{when(moment)}  ({local})"


def _session(s: Session | None, none: str) -> str:
    if s is None:
        return none
    hours = f"{s.open.astimezone(MARKET_TZ):%H:%M}-{s.close.astimezone(MARKET_TZ):%H:%M} New York"
    early = "  [bold yellow]early close[/]" if s.early_close else ""
    return f"{s.date} {hours}{early}"


def _panel(m: MarketStatus) -> RenderableType:
    from rich.panel import Panel
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("Market", "[bold green]OPEN[/]" if m.is_open else "[bold red]CLOSED[/]")
    grid.add_row("Now", _at(m.timestamp))
    grid.add_row("Next open", _at(m.next_open))
    grid.add_row("Next close", _at(m.next_close))
    grid.add_row("Today", _session(m.session, "no session (weekend or holiday)"))
    grid.add_row("Next session", _session(m.next_session, "none in the next 10 days"))
    return Panel(grid, title="US equity market", subtitle=source_line(m.source), expand=False)

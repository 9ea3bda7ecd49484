"""How a snapshot looks: a Rich panel at a terminal, one record with --json."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pm.cli.terminal import Shown
from pm.cli.views.common import humane_age, money, percent, source_line
from pm.domain.portfolio import Snapshot
from pm.records import snapshot as records
from pm.services.snapshot import SnapshotResult

if TYPE_CHECKING:
    from rich.console import RenderableType


def snapshot(result: SnapshotResult) -> Shown:
    s = result.snapshot
    warnings = []
    if result.age is not None:
        warnings.append(
            f"STALE: the broker is unavailable; this snapshot is {humane_age(result.age)} old "
            f"(taken {source_line(s.source)}). It is NOT live."
        )
    return Shown(records.snapshot(s, result.age), lambda: _panel(s), warnings=warnings)


def _panel(s: Snapshot) -> RenderableType:
    from rich.panel import Panel
    from rich.table import Table

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    realized_note = "" if s.realized_pl_available else "  [dim](no trade history yet)[/]"
    if s.realized_pl_from is not None:
        realized_note = f"  [dim](since {s.realized_pl_from.date().isoformat()})[/]"
    rows = [
        ("Equity", money(s.equity)),
        ("Last equity", money(s.last_equity)),
        ("Cash", money(s.cash)),
        ("Buying power", money(s.buying_power)),
        ("Long market value", money(s.long_market_value)),
        ("Short market value", money(s.short_market_value)),
        ("Daily P/L", f"{money(s.daily_pl, signed=True)}  {percent(s.daily_pl_pct)}"),
        ("Unrealized P/L", money(s.unrealized_pl, signed=True)),
        ("Realized P/L", money(s.realized_pl, signed=True) + realized_note),
        ("Total P/L", money(s.total_pl, signed=True)),
        ("Positions", f"{s.positions_count} ({s.long_count} long, {s.short_count} short)"),
    ]
    for label, value in rows:
        table.add_row(label, value)
    style = {"live": "green", "simulated": "magenta", "stale": "bold red"}[s.source.type]
    return Panel(
        table,
        title=f"Account {s.account_id}",
        subtitle=f"[{style}]{source_line(s.source)}[/]",
        expand=False,
    )

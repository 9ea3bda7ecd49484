"""How a snapshot looks: a Rich panel at a terminal, one JSON object with --json."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pm.cli.output import print_json, stdout_console, warn
from pm.cli.views.common import humane_age, money, percent, source_json, source_line
from pm.domain.portfolio import Snapshot
from pm.services.snapshot import SnapshotResult


def as_json(result: SnapshotResult) -> dict[str, Any]:
    return snapshot_json(result.snapshot, result.age)


def snapshot_json(s: Snapshot, age: timedelta | None = None) -> dict[str, Any]:
    """The documented snapshot fields (shared by `pm snapshot` and `pm history`)."""
    return {
        "account_id": s.account_id,
        "equity": s.equity,
        "last_equity": s.last_equity,
        "cash": s.cash,
        "buying_power": s.buying_power,
        "long_market_value": s.long_market_value,
        "short_market_value": s.short_market_value,
        "daily_pl": s.daily_pl,
        "daily_pl_pct": s.daily_pl_pct,
        "unrealized_pl": s.unrealized_pl,
        "realized_pl": s.realized_pl,
        "realized_pl_available": s.realized_pl_available,
        "total_pl": s.total_pl,
        "positions_count": s.positions_count,
        "long_count": s.long_count,
        "short_count": s.short_count,
        "timestamp": s.timestamp,
        "source": source_json(s.source, age),
    }


def show(result: SnapshotResult, json_: bool) -> None:
    if result.age is not None:
        warn(
            f"STALE: the broker is unavailable; this snapshot is {humane_age(result.age)} old "
            f"(taken {source_line(result.snapshot.source)}). It is NOT live."
        )
    if json_:
        print_json(as_json(result))
        return
    from rich.panel import Panel
    from rich.table import Table

    s = result.snapshot
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(justify="right")
    realized_note = "" if s.realized_pl_available else "  [dim](no trade history yet)[/]"
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
    title = f"Account {s.account_id}"
    subtitle = f"[{style}]{source_line(s.source)}[/]"
    stdout_console().print(Panel(table, title=title, subtitle=subtitle, expand=False))

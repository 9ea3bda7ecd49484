"""How stored snapshots look: a table, a JSON array, or CSV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pm.cli.output import print_csv, print_json, stdout_console
from pm.cli.views.common import money, percent
from pm.cli.views.snapshot import snapshot_json
from pm.domain.portfolio import Snapshot

COLUMNS = (
    "timestamp",
    "account_id",
    "equity",
    "last_equity",
    "cash",
    "daily_pl",
    "daily_pl_pct",
    "unrealized_pl",
    "realized_pl",
    "total_pl",
    "positions_count",
    "source",
)


def as_json(s: Snapshot) -> dict[str, Any]:
    """A stored snapshot: the snapshot fields plus what it held."""
    return {
        **snapshot_json(s),
        "positions": [
            {"symbol": p.symbol, "qty": p.qty, "side": p.side, "market_value": p.market_value}
            for p in s.positions
        ],
    }


def show(snapshots: Sequence[Snapshot], *, json_: bool = False, csv: bool = False) -> None:
    if json_:
        print_json([as_json(s) for s in snapshots])
        return
    if csv:
        print_csv(COLUMNS, ({**snapshot_json(s), "source": s.source.type} for s in snapshots))
        return
    from rich.table import Table

    table = Table(caption="stored snapshots, newest first (not live)")
    for name in ("Taken at (UTC)", "Equity", "Cash", "Daily P/L", "%", "Unrealized", "Positions"):
        table.add_column(
            name, justify="left" if name.startswith("Taken") else "right", no_wrap=True
        )
    for s in snapshots:
        table.add_row(
            s.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
            money(s.equity),
            money(s.cash),
            money(s.daily_pl, signed=True),
            percent(s.daily_pl_pct),
            money(s.unrealized_pl, signed=True),
            str(s.positions_count),
        )
    stdout_console().print(table)

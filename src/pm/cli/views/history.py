"""How stored snapshots look: a table that fits the terminal; records for the formats."""

from __future__ import annotations

from collections.abc import Sequence

from pm.cli.terminal import Shown
from pm.cli.views.common import money, percent, when
from pm.cli.views.table import Col, FitTable, time_col
from pm.domain.portfolio import Snapshot
from pm.records import snapshot as records

COLUMNS = (
    time_col("Taken at", 0),
    Col("Equity", right=True),
    Col("Cash", 2, right=True),
    Col("Daily P/L", right=True),
    Col("%", 1, right=True),
    Col("Unrealized", right=True),
    Col("Positions", 3, right=True),
)


def history(snapshots: Sequence[Snapshot]) -> Shown:
    return Shown(
        [records.stored(s) for s in snapshots],
        lambda: _table(snapshots),
        columns=records.HISTORY_COLUMNS,
        empty="no stored snapshots",
    )


def _table(snapshots: Sequence[Snapshot]) -> FitTable:
    return FitTable(
        COLUMNS,
        [
            (
                when(s.timestamp),
                money(s.equity),
                money(s.cash),
                money(s.daily_pl, signed=True),
                percent(s.daily_pl_pct),
                money(s.unrealized_pl, signed=True),
                str(s.positions_count),
            )
            for s in snapshots
        ],
        notes=["stored snapshots, newest first (not live)"],
    )

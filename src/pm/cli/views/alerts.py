"""How stored risk alerts look: a table that fits the terminal; records for the formats."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape

from pm.cli.terminal import Shown
from pm.cli.views.common import when
from pm.cli.views.table import Col, FitTable, time_col
from pm.ports import StoredAlert
from pm.records import alerts as records

COLUMNS = (time_col("Created", 1), Col("Level"), Col("Message", wrap=True))


def alerts(rows: Sequence[StoredAlert]) -> Shown:
    return Shown(
        [records.stored(a) for a in rows],
        lambda: _table(rows),
        columns=records.COLUMNS,
        empty="no stored alerts",
    )


def _table(rows: Sequence[StoredAlert]) -> FitTable:
    def level(s: StoredAlert) -> str:
        a = s.alert
        colour = "red" if a.level == "critical" else "yellow"
        return f"[{colour}]{'BREACH' if a.is_breach else a.level}[/]"

    return FitTable(
        COLUMNS,
        [(when(s.created_at), level(s), escape(s.alert.message)) for s in rows],
        notes=["stored risk alerts, newest first (not live: pm risk for now)"],
    )

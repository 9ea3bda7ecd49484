"""How the audit trail looks: a table that fits the terminal; records for the formats."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape

from pm.cli.terminal import Shown
from pm.cli.views.common import when
from pm.cli.views.table import Col, FitTable, time_col
from pm.ports import AuditEntry
from pm.records import audit as records

COLUMNS = (
    Col("ID", right=True),
    time_col("Created", 1),
    Col("Action"),
    Col("Outcome"),
    Col("By", 2),
    Col("Arguments", 3, wrap=True),
)


def entries(rows: Sequence[AuditEntry]) -> Shown:
    return Shown(
        [records.entry(e) for e in rows],
        lambda: _table(rows),
        columns=records.COLUMNS,
        empty="no audit entries",
    )


def _arguments(entry: AuditEntry) -> str:
    return " ".join(f"{k}={v}" for k, v in entry.arguments.items() if v not in (None, False))


def _table(rows: Sequence[AuditEntry]) -> FitTable:
    return FitTable(
        COLUMNS,
        [
            (
                str(e.id),
                when(e.created_at),
                e.action,
                e.outcome,
                escape(f"{e.os_user}@{e.host}"),
                escape(_arguments(e)),
            )
            for e in rows
        ],
        notes=["audit log, newest first (--json for the outcome details)"],
    )

"""How book rows look: a table that fits the terminal, or one row as `field value` lines."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text

from pm.cli.output import cell
from pm.cli.terminal import Shown
from pm.cli.views.common import money, quantity, when
from pm.cli.views.table import Col, FitTable, time_col
from pm.domain.book import BookEntry
from pm.records import book as records

COLUMNS = (
    Col("ID", right=True),
    Col("Symbol"),
    Col("Side", 3),
    Col("Qty", right=True),
    Col("Avg entry", 1, right=True),
    Col("Price", 4, right=True),
    Col("Strategy", 5),
    time_col("Opened", 2),
    time_col("Closed", 2),
)


def entries(rows: list[BookEntry]) -> Shown:
    return Shown(
        [records.entry(e) for e in rows],
        lambda: _table(rows),
        columns=records.COLUMNS,
        empty="the book has no positions",
    )


def _table(rows: list[BookEntry]) -> FitTable:
    return FitTable(
        COLUMNS,
        [
            (
                str(e.id),
                e.symbol,
                e.side,
                quantity(e.qty),
                money(e.avg_entry_price),
                money(e.current_price),
                escape(e.strategy_id or ""),
                when(e.opened_at),
                when(e.closed_at),
            )
            for e in rows
        ],
        notes=["stored in the local book (not live)"],
    )


def entry(e: BookEntry, *, note: str | None = None) -> Shown:
    record = records.entry(e)
    text = "\n".join(f"{k:<18} {cell(v)}" for k, v in record.items())
    return Shown(record, Text(text), note=note)

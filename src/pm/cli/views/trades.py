"""How the trade ledger looks: fills and lots as tables, a sync as one line; records for the
formats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from pm.cli.terminal import Shown
from pm.cli.views.common import money, quantity, when
from pm.cli.views.table import Col, FitTable, time_col
from pm.domain.ledger import Fill, LedgerSync
from pm.records import trades as records
from pm.services.trades import LotsResult, SyncResult


def sync(result: SyncResult) -> Shown:
    line = (
        f"trades synced: {result.new_fills} new fills, {result.new_cash} new cash activities "
        f"({result.pages} pages); {coverage(result.state)}"
    )
    return Shown(records.sync(result), line)


def coverage(state: LedgerSync | None) -> str:
    if state is None:
        return "never synced (run pm trades sync)"
    since = when(state.covers_from) or "no activity yet"
    whole = "the whole history" if state.complete else "partial history"
    return f"ledger holds {whole} since {since}, last synced {when(state.synced_at)}"


NO_FILLS = "no fills stored (run pm trades sync)"

FILL_TABLE = (
    time_col("Time", 1),
    Col("Symbol"),
    Col("Side"),
    Col("Qty", right=True),
    Col("Price", right=True),
    Col("Value", 2, right=True),
    Col("Source", 3),
    Col("Fill id", 4),
)


def fills(rows: Sequence[Fill], *, filtered: bool = False) -> Shown:
    """`filtered`: --symbol or --since narrowed the list (an empty one is no empty ledger)."""
    return Shown(
        [records.fill(f) for f in rows],
        lambda: _fills_table(rows),
        columns=records.FILL_COLUMNS,
        empty="no fills match --symbol/--since" if filtered else NO_FILLS,
    )


def _fills_table(rows: Sequence[Fill]) -> FitTable:
    return FitTable(
        FILL_TABLE,
        [
            (
                when(f.transaction_time),
                f.symbol,
                f.side,
                quantity(f.qty),
                money(f.price),
                money(f.qty * f.price),
                f.source,
                f.fill_id,
            )
            for f in rows
        ],
        notes=["fills, oldest first"],
    )


LOT_TABLE = (
    Col("Symbol"),
    Col("Status"),
    Col("Side", 2),
    Col("Qty", right=True),
    Col("Open", right=True),
    Col("Close", 1, right=True),
    time_col("Opened", 3),
    time_col("Closed", 4),
    Col("Days", 2, right=True),
    Col("Term", 3),
    Col("Realized P/L", right=True),
)


def lots(result: LotsResult, today: date, *, filtered: bool = False) -> Shown:
    """`filtered`: --symbol, --open or --closed narrowed the list."""
    return Shown(
        records.lots(result, today),
        lambda: _lots_table(result, today),
        columns=records.LOT_COLUMNS,
        empty="no lots match --symbol/--open/--closed" if filtered else f"no lots ({NO_FILLS})",
    )


def _lots_table(result: LotsResult, today: date) -> FitTable:
    rows: list[tuple[str, ...]] = []
    for lot in result.open:
        r = records.open_lot(lot, today)
        rows.append(
            (
                lot.symbol,
                "open",
                lot.side,
                quantity(lot.qty),
                money(lot.price),
                "",
                when(lot.opened_at),
                "",
                str(r["holding_days"]),
                str(r["term"]),
                "",
            )
        )
    for c in result.closed:
        rows.append(
            (
                c.symbol,
                "closed",
                c.side,
                quantity(c.qty),
                money(c.open_price),
                money(c.close_price),
                when(c.opened_at),
                when(c.closed_at),
                str(c.holding_days),
                c.term,
                money(c.realized_pl, signed=True),
            )
        )
    notes = [coverage(result.state)]
    if result.closed:
        shown_pl = sum((c.realized_pl for c in result.closed), Decimal(0))
        notes.insert(0, f"realized P/L of the closed lots shown: {shown_pl:,.2f}")
    return FitTable(LOT_TABLE, rows, notes=notes)

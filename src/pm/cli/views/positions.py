"""How positions look: a table that fits the terminal; records for --json, --jsonl, --csv."""

from __future__ import annotations

from pm.cli.terminal import Shown
from pm.cli.views.common import money, percent, quantity, source_line
from pm.cli.views.table import Col, FitTable
from pm.records import positions as records
from pm.services.positions import PositionsResult

COLUMNS = (
    Col("Symbol"),
    Col("Side", 4),
    Col("Qty", right=True),
    Col("Avg entry", 3, right=True),
    Col("Price", 2, right=True),
    Col("Market value", right=True),
    Col("Unrealized P/L", right=True),
    Col("%", 1, right=True),
)


def positions(result: PositionsResult) -> Shown:
    """The list (`pm positions`)."""
    data = records.positions(result.positions, result.source, result.account_id)
    return Shown(data, lambda: _table(result), columns=records.COLUMNS)  # made as written


def position(result: PositionsResult) -> Shown:
    """One position (`pm positions show`): one record, the same table."""
    record = records.position(result.positions[0], result.source, result.account_id)
    return Shown(record, lambda: _table(result))


def _table(result: PositionsResult) -> FitTable:
    rows = [
        (
            p.symbol,
            p.side,
            quantity(p.qty),
            money(p.avg_entry_price),
            money(p.current_price),
            money(p.market_value),
            money(p.unrealized_pl, signed=True),
            percent(p.unrealized_pl_pct),
        )
        for p in result.positions
    ]
    note = source_line(result.source)
    return FitTable(COLUMNS, rows, notes=[note if rows else f"no open positions ({note})"])

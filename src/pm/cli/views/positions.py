"""How positions look: a Rich table, a JSON array, or CSV."""

from __future__ import annotations

from typing import Any

from pm.cli.output import print_csv, print_json, stdout_console
from pm.cli.views.common import money, percent, quantity, source_json, source_line
from pm.domain.models import Position, Source
from pm.services.positions import PositionsResult

COLUMNS = (
    "id",
    "symbol",
    "qty",
    "side",
    "asset_class",
    "avg_entry_price",
    "current_price",
    "market_value",
    "cost_basis",
    "unrealized_pl",
    "unrealized_pl_pct",
    "fetched_at",
    "source",
)


def as_json(position: Position, source: Source) -> dict[str, Any]:
    return {
        "id": position.asset_id,
        "symbol": position.symbol,
        "qty": position.qty,
        "side": position.side,
        "asset_class": position.asset_class,
        "avg_entry_price": position.avg_entry_price,
        "current_price": position.current_price,
        "market_value": position.market_value,
        "cost_basis": position.cost_basis,
        "unrealized_pl": position.unrealized_pl,
        "unrealized_pl_pct": position.unrealized_pl_pct,
        "fetched_at": source.fetched_at,
        "source": source_json(source),
    }


def show(result: PositionsResult, *, json_: bool = False, csv: bool = False) -> None:
    rows = (as_json(p, result.source) for p in result.positions)  # made as they are written
    if json_:
        print_json(rows)
    elif csv:
        print_csv(COLUMNS, ({**row, "source": result.source.type} for row in rows))
    else:
        _table(result)


def show_one(result: PositionsResult, json_: bool) -> None:
    if json_:
        print_json(as_json(result.positions[0], result.source))
    else:
        _table(result)


def _table(result: PositionsResult) -> None:
    from rich.table import Table

    table = Table(caption=source_line(result.source), caption_justify="right")
    for name in ("Symbol", "Side", "Qty", "Avg entry", "Price", "Market value", "Unrealized P/L"):
        table.add_column(
            name, justify="left" if name in ("Symbol", "Side") else "right", no_wrap=True
        )
    table.add_column("%", justify="right", no_wrap=True)
    for p in result.positions:
        table.add_row(
            p.symbol,
            p.side,
            quantity(p.qty),
            money(p.avg_entry_price),
            money(p.current_price),
            money(p.market_value),
            money(p.unrealized_pl, signed=True),
            percent(p.unrealized_pl_pct),
        )
    if not result.positions:
        table.caption = f"no open positions ({source_line(result.source)})"
    stdout_console().print(table)

"""How book rows look: a Rich table, or JSON."""

from __future__ import annotations

from typing import Any

from pm.cli.output import cell, print_json, stderr_console, stdout_console
from pm.cli.views.common import money, quantity
from pm.domain.book import BookEntry
from pm.domain.timestamps import iso


def entry_json(e: BookEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "symbol": e.symbol,
        "qty": e.qty,
        "side": e.side,
        "asset_class": e.asset_class,
        "avg_entry_price": e.avg_entry_price,
        "current_price": e.current_price,
        "market_value": e.market_value,
        "cost_basis": e.cost_basis,
        "unrealized_pl": e.unrealized_pl,
        "unrealized_pl_pct": e.unrealized_pl_pct,
        "strategy_id": e.strategy_id,
        "status": "open" if e.is_open else "closed",
        "opened_at": e.opened_at,
        "updated_at": e.updated_at,
        "closed_at": e.closed_at,
    }


def show_list(entries: list[BookEntry], json_: bool) -> None:
    if json_:
        print_json([entry_json(e) for e in entries])
        return
    if not entries:
        stderr_console().print("the book has no positions", markup=False)
        return
    from rich.table import Table

    table = Table(caption="stored in the local book (not live)", caption_justify="right")
    for name in (
        "ID",
        "Symbol",
        "Side",
        "Qty",
        "Avg entry",
        "Price",
        "Strategy",
        "Opened",
        "Closed",
    ):
        right = name in ("ID", "Qty", "Avg entry", "Price")
        table.add_column(name, justify="right" if right else "left", no_wrap=True)
    for e in entries:
        table.add_row(
            str(e.id),
            e.symbol,
            e.side,
            quantity(e.qty),
            money(e.avg_entry_price),
            money(e.current_price),
            e.strategy_id or "",
            iso(e.opened_at),
            iso(e.closed_at) if e.closed_at else "",
        )
    stdout_console().print(table)


def show_one(entry: BookEntry, json_: bool, *, note: str | None = None) -> None:
    if note:
        stderr_console().print(note, markup=False)
    if json_:
        print_json(entry_json(entry))
        return
    lines = [f"{k:<18} {cell(v)}" for k, v in entry_json(entry).items()]
    stdout_console().print("\n".join(lines), markup=False, highlight=False)

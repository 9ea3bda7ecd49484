"""`pm book list|show|add|edit|rm`: the local positions book, edited by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from pm.cli.confirm import YesOpt
from pm.cli.options import CsvOpt, IdArg, JsonlOpt, JsonOpt, parse_since

app = typer.Typer(no_args_is_help=True)

QtyOpt = Annotated[
    str | None, typer.Option("--qty", help="Size, > 0 (the side gives the direction).")
]
SideOpt = Annotated[str | None, typer.Option("--side", help="long (default) or short.")]
PriceOpt = Annotated[str | None, typer.Option("--entry-price", help="Average entry price.")]
StrategyOpt = Annotated[
    str | None, typer.Option("--strategy-id", help="Tag the row with a strategy ('' clears).")
]
OpenedOpt = Annotated[
    datetime | None,
    typer.Option("--opened-at", parser=parse_since, metavar="WHEN", help="ISO date or time."),
]


@app.command("list")
def list_(
    ctx: typer.Context,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
    closed: Annotated[bool, typer.Option("--closed", help="Include closed rows.")] = False,
) -> None:
    """The book's open positions as stored (not live); --closed adds the history."""
    from pm.cli.views import book as view
    from pm.services import book as service

    app_ = ctx.obj
    rows = service.entries(
        app_.book_store(), app_.account_id(ask_broker=False), include_closed=closed
    )
    app_.terminal.show(view.entries(rows))


@app.command("show")
def show(ctx: typer.Context, entry_id: IdArg, json_: JsonOpt = False) -> None:
    """One row of the book (exit 4 if there is none with that id)."""
    from pm.cli.views import book as view
    from pm.services import book as service

    app_ = ctx.obj
    entry = service.show(app_.book_store(), app_.account_id(ask_broker=False), entry_id)
    app_.terminal.show(view.entry(entry))


@app.command("add")
def add(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Option("--symbol", help="AAPL, BRK.B, BTC/USD ...")],
    qty: QtyOpt = None,
    entry_price: PriceOpt = None,
    side: SideOpt = None,
    strategy_id: StrategyOpt = None,
    opened_at: OpenedOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Add an open position to the book by hand (the next reconcile checks it)."""
    from pm.cli.flags import speaking_flags
    from pm.cli.views import book as view
    from pm.services import book as service

    app_ = ctx.obj
    given = service.BookInput(qty, side, entry_price, strategy_id, opened_at)
    with speaking_flags():
        entry = service.add(
            app_.book_store(),
            app_.account_id(ask_broker=False),
            app_.clock,
            symbol=symbol,
            given=given,
        )
    app_.terminal.show(view.entry(entry, note=f"added position {entry.id}"))


@app.command("edit")
def edit(
    ctx: typer.Context,
    entry_id: IdArg,
    qty: QtyOpt = None,
    entry_price: PriceOpt = None,
    side: SideOpt = None,
    strategy_id: StrategyOpt = None,
    opened_at: OpenedOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Change an open row (quantity, side, entry price, strategy, opening time)."""
    from pm.cli.flags import speaking_flags
    from pm.cli.views import book as view
    from pm.services import book as service

    app_ = ctx.obj
    given = service.BookInput(qty, side, entry_price, strategy_id, opened_at)
    with speaking_flags():
        entry = service.edit(
            app_.book_store(), app_.account_id(ask_broker=False), app_.clock, entry_id, given
        )
    app_.terminal.show(view.entry(entry, note=f"updated position {entry.id}"))


@app.command("rm")
def rm(ctx: typer.Context, entry_id: IdArg, yes: YesOpt = False, json_: JsonOpt = False) -> None:
    """Delete a row from the book (asks first; --yes off a terminal)."""
    from pm.cli.views import book as view
    from pm.services import book as service

    app_ = ctx.obj
    store, account_id = app_.book_store(), app_.account_id(ask_broker=False)
    entry = service.show(store, account_id, entry_id)
    app_.terminal.confirm(
        f"Delete row {entry.id} ({entry.symbol} {entry.qty}) from the book?",
        yes=yes,
        what=f"pm book rm {entry_id}",
    )
    removed = service.remove(store, account_id, entry_id)
    app_.terminal.show(view.entry(removed, note=f"removed position {removed.id}"))

"""`pm trades`, `pm trades sync` and `pm trades lots`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pm.cli.ledger import ledger_account
from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt, SinceOpt

if TYPE_CHECKING:
    pass

app = typer.Typer(no_args_is_help=False)

SymbolOpt = Annotated[
    str | None, typer.Option("--symbol", metavar="SYMBOL", help="Only this symbol.")
]


@app.callback(invoke_without_command=True)
def trades(
    ctx: typer.Context,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
    symbol: SymbolOpt = None,
    since: SinceOpt = None,
) -> None:
    """Fills of this account stored in the trade ledger, oldest first (pm trades sync
    imports the broker's)."""
    if ctx.invoked_subcommand is not None:
        return
    from pm.cli.views import trades as view
    from pm.services import trades as service

    app_ = ctx.obj
    rows = service.fills(app_.repo(), ledger_account(app_), symbol=symbol, since=since)
    app_.terminal.show(view.fills(rows, filtered=symbol is not None or since is not None))


@app.command("sync")
def sync(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Import the broker's fills and cash activities not stored yet (resumable; running it
    twice stores nothing twice)."""
    from pm.cli.views import trades as view
    from pm.services import trades as service

    app_ = ctx.obj
    broker = app_.broker()
    result = service.sync(broker, app_.repo(), app_.account_id(), app_.clock)
    app_.terminal.show(view.sync(result))


@app.command("lots")
def lots(
    ctx: typer.Context,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
    open_: Annotated[bool, typer.Option("--open", help="Only open lots.")] = False,
    closed: Annotated[bool, typer.Option("--closed", help="Only closed lots.")] = False,
    symbol: SymbolOpt = None,
) -> None:
    """FIFO tax lots of the stored fills: open lots, and closed ones with realized P/L,
    holding days and term (long: held more than a year)."""
    from pm.cli.views import trades as view
    from pm.domain.errors import BadInput
    from pm.domain.market_calendar import trade_date
    from pm.services import trades as service

    if open_ and closed:
        raise BadInput("give --open or --closed, not both")
    app_ = ctx.obj
    result = service.lots(
        app_.repo(), ledger_account(app_), symbol=symbol, open_only=open_, closed_only=closed
    )
    filtered = symbol is not None or open_ or closed
    today = trade_date(app_.clock.now())
    app_.terminal.show(view.lots(result, today, filtered=filtered))

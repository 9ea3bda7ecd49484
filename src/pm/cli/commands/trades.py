"""`pm trades`, `pm trades sync` and `pm trades lots`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt, SinceOpt

if TYPE_CHECKING:
    from pm.cli.context import AppContext

app = typer.Typer(no_args_is_help=False)

SymbolOpt = Annotated[
    str | None, typer.Option("--symbol", metavar="SYMBOL", help="Only this symbol.")
]


def local_sync(app_: AppContext, account_id: str) -> None:
    """The demo's activities are local: bring its ledger up to date before reading it."""
    if app_.identity().simulated:
        from pm.services import trades as service

        _, warning = service.sync_warning(
            app_.broker(), app_.repo(), account_id, app_.clock, touch=False
        )
        if warning:
            app_.terminal.warn(warning)


def ledger_account(app_: AppContext) -> str:
    """The account whose stored ledger `pm trades` (and `pm mcp`'s get_trades, get_lots)
    reads: the demo's brought up to date first; a real account's as last synced."""
    account_id = app_.account_id(ask_broker=app_.identity().simulated)
    local_sync(app_, account_id)
    return account_id


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
    app_.terminal.show(view.fills(rows))


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
    from pm.services import trades as service

    if open_ and closed:
        raise BadInput("give --open or --closed, not both")
    app_ = ctx.obj
    result = service.lots(
        app_.repo(), ledger_account(app_), symbol=symbol, open_only=open_, closed_only=closed
    )
    app_.terminal.show(view.lots(result, app_.clock.now().date()))

"""`pm tax lots` and `pm tax harvest`."""

from __future__ import annotations

from typing import Annotated

import typer

from pm.cli.confirm import LiveOpt, YesOpt
from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt

app = typer.Typer(no_args_is_help=True, help="Tax lots, tax-loss harvesting, wash sales.")

SymbolOpt = Annotated[
    str | None, typer.Option("--symbol", metavar="SYMBOL", help="Only this symbol.")
]


@app.command("lots")
def lots(
    ctx: typer.Context,
    symbol: SymbolOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """Open FIFO lots with cost, current price, unrealized gain, holding period (short or
    long term) and the date each becomes long term."""
    from pm.cli.ledger import local_sync
    from pm.cli.views import tax as view
    from pm.services import tax as service

    app_ = ctx.obj
    account_id = app_.account_id(ask_broker=app_.identity().simulated)
    local_sync(app_, account_id)
    result = service.tax_lots(app_.broker(), app_.repo(), account_id, app_.clock, symbol=symbol)
    app_.terminal.show(view.lots(result, filtered=symbol is not None))


@app.command("harvest")
def harvest(
    ctx: typer.Context,
    min_loss: Annotated[
        str,
        typer.Option(
            "--min-loss", metavar="USD", help="Only losses of at least this (default 100)."
        ),
    ] = "100",
    execute: Annotated[
        bool, typer.Option("--execute", help="Sell them (never a wash sale); asks first.")
    ] = False,
    yes: YesOpt = False,
    live: LiveOpt = False,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """Lots with unrealized losses worth harvesting (the oldest lots, as the broker sells
    them), the estimated realized loss and the wash-sale window; --execute sells them."""
    from pm.cli.confirm import require_live_allowed
    from pm.cli.guard import build_desk, build_guard
    from pm.cli.ledger import local_sync
    from pm.cli.options import decimal_arg
    from pm.cli.views import tax as view
    from pm.domain.errors import BadInput, CheckFailed
    from pm.services import tax as service
    from pm.services import trades

    threshold = decimal_arg(min_loss, "--min-loss")
    if threshold is None or threshold < 0:
        raise BadInput("--min-loss must be >= 0")
    if yes and not execute:
        raise BadInput("--yes goes with --execute (without it nothing is sent)")
    if execute and (csv or jsonl):
        raise BadInput("--execute prints one result: --json, not --csv or --jsonl")
    app_ = ctx.obj
    simulated = app_.identity().simulated
    account_id = app_.account_id(ask_broker=simulated)
    if execute:
        require_live_allowed(app_.settings, live, "tax harvest")
    if simulated:
        local_sync(app_, account_id)
    elif execute:  # the ledger's recent buys decide wash sales: bring it up to date first
        _, warning = trades.sync_warning(app_.broker(), app_.repo(), account_id, app_.clock)
        if warning:
            raise CheckFailed(f"{warning}; wash sales cannot be ruled out. Nothing was sent.")
    repo = app_.repo()
    plan = service.plan_harvest(app_.broker(), repo, account_id, app_.clock, min_loss=threshold)
    if not execute:
        app_.terminal.show(view.harvest(plan))
        return
    refused = service.nothing_to_send(plan)
    if refused is not None:
        raise refused
    if not plan.executable:
        app_.terminal.show(view.done(service.nothing_done(plan)))
        return
    validations = service.validate_harvest(build_guard(app_), plan)
    app_.terminal.say(view.plan_line(plan))
    app_.terminal.confirm("Sell these lots?", yes=yes, what="tax harvest")
    done = service.execute_harvest(
        build_desk(app_),
        repo.ledger,
        plan,
        validations,
        arguments={"min_loss": threshold, "live": live},
    )
    app_.terminal.show(view.done(done))
    if done.failed:
        raise CheckFailed(f"tax harvest: {len(done.failed)} of {len(done.legs)} orders failed")

"""`pm demo reset`: the simulated account back to where every demo account starts."""

from __future__ import annotations

import typer

from pm.cli.confirm import YesOpt
from pm.cli.options import JsonOpt

app = typer.Typer(no_args_is_help=True, help="The built-in simulated account (--demo).")


@app.command("reset")
def reset(ctx: typer.Context, yes: YesOpt = False, json_: JsonOpt = False) -> None:
    """Restore the demo account's starting cash and positions.

    Its orders are forgotten; audited. Asks first (--yes off a terminal). The book catches up at
    the next reconcile."""
    from pm.broker.demo.seed import DEMO_ACCOUNT_ID
    from pm.cli.views import demo as view
    from pm.services import demo as service

    app_ = ctx.obj
    app_.terminal.confirm(
        "Reset the demo account to its starting cash and positions, forgetting its orders?",
        yes=yes,
        what="demo reset",
    )
    account = service.reset(
        app_.demo_broker(),
        DEMO_ACCOUNT_ID,
        app_.audit_log(),
        app_.clock,
        app_.actor,
        ledger=app_.repo().ledger,
    )
    app_.terminal.show(view.reset(account))

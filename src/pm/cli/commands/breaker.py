"""`pm breaker status|trip|reset`: the account's circuit breaker."""

from __future__ import annotations

from typing import Annotated

import typer

from pm.cli.confirm import YesOpt
from pm.cli.options import JsonOpt

app = typer.Typer(no_args_is_help=True, help="The circuit breaker: halts orders that add risk.")


@app.command("status")
def status(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show ACTIVE or HALTED (with reason, who, when). Exits 1 while HALTED."""
    from pm.cli.views import breaker as view
    from pm.domain.errors import CheckFailed
    from pm.services import breaker as service

    app_ = ctx.obj
    account_id = app_.account_id()
    state = service.status(app_.breaker_store(), account_id)
    app_.terminal.show(view.status(state))
    if state.halted:
        raise CheckFailed("circuit breaker HALTED")  # the status line above says why


def _said_why(reason: str) -> str:
    if not reason.strip():
        raise typer.BadParameter("must say why")
    return reason


@app.command("trip")
def trip(
    ctx: typer.Context,
    reason: Annotated[
        str, typer.Option("--reason", help="Why orders must stop.", callback=_said_why)
    ],
    json_: JsonOpt = False,
) -> None:
    """HALT: validation then rejects every order that opens or adds to a position."""
    from pm.cli.views import breaker as view
    from pm.services import breaker as service

    app_ = ctx.obj
    account_id = app_.account_id()
    done = service.trip(
        app_.breaker_store(), app_.audit_log(), app_.clock, account_id, reason, actor=app_.actor
    )
    app_.terminal.show(view.status(done.status, changed=done.changed))


@app.command("reset")
def reset(ctx: typer.Context, yes: YesOpt = False, json_: JsonOpt = False) -> None:
    """Back to ACTIVE (asks first; --yes off a terminal). The only way out of HALTED."""
    from pm.cli.views import breaker as view
    from pm.services import breaker as service

    app_ = ctx.obj
    account_id = app_.account_id()
    store = app_.breaker_store()
    current = service.status(store, account_id)
    if current.halted:
        app_.terminal.confirm(
            f"Reset the circuit breaker of {account_id} (HALTED: {current.reason})?",
            yes=yes,
            what="breaker reset",
        )
    done = service.reset(store, app_.audit_log(), app_.clock, account_id, actor=app_.actor)
    app_.terminal.show(view.status(done.status, changed=done.changed))

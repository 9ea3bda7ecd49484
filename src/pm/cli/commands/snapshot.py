"""`pm snapshot`."""

from __future__ import annotations

from typing import Annotated

import typer

from pm.cli.options import JsonOpt

AllowStaleOpt = Annotated[
    bool,
    typer.Option(
        "--allow-stale",
        help="If the broker is down, show the last stored snapshot (marked stale; still exits 3).",
    ),
]


def snapshot(
    ctx: typer.Context, json_: JsonOpt = False, allow_stale: AllowStaleOpt = False
) -> None:
    """Show equity, cash, buying power and P/L, live from the broker."""
    from pm.cli.views import snapshot as view
    from pm.services import snapshot as service

    app_ = ctx.obj
    result = service.take(
        app_.broker(),
        app_.repo,
        app_.clock,
        app_.writes,
        allow_stale=allow_stale,
        stored_account=lambda: app_.account_id(ask_broker=False),
    )
    app_.terminal.show(view.snapshot(result))
    if result.unavailable is not None:
        raise result.unavailable

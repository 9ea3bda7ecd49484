"""`pm market`: open or closed, the next open and close, today's session."""

from __future__ import annotations

import typer

from pm.cli.options import JsonOpt


def market(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Whether the US equity market is open now, its next open and close, and today's
    session (early closes included), from the broker's clock and calendar."""
    from pm.cli.views import market as view
    from pm.services import market as service

    app_ = ctx.obj
    app_.terminal.show(view.status(service.status(app_.broker(), app_.clock)))

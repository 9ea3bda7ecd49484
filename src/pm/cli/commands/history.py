"""`pm history`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt, LimitOpt, parse_since


def history(
    ctx: typer.Context,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
    since: Annotated[
        datetime | None,
        typer.Option(
            "--since",
            parser=parse_since,
            metavar="WHEN",
            help="Only snapshots taken at or after WHEN (2026-11-01, an ISO time, or 7d/12h).",
        ),
    ] = None,
    limit: LimitOpt = 50,
) -> None:
    """List stored point-in-time snapshots of this account, newest first."""
    from pm.cli.views import history as view
    from pm.services import history as service

    app_ = ctx.obj
    rows = service.stored(app_.repo(), app_.account_id(ask_broker=False), since=since, limit=limit)
    app_.terminal.show(view.history(rows))

"""`pm alerts`: risk alerts and limit breaches stored by earlier `pm risk` runs."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt, LimitOpt, SinceOpt


class Level(StrEnum):
    warning = "warning"
    critical = "critical"


def alerts(
    ctx: typer.Context,
    since: SinceOpt = None,
    level: Annotated[
        Level | None,
        typer.Option("--level", case_sensitive=False, help="Only alerts at or above this level."),
    ] = None,
    limit: LimitOpt = 50,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """Risk alerts stored by earlier pm risk runs, newest first.

    What pm risk found then, not now. Reads the database only."""
    from pm.cli.views import alerts as view
    from pm.services import alerts as service

    app_ = ctx.obj
    rows = service.stored(
        app_.risk_store(),
        app_.account_id(ask_broker=False),
        since=since,
        level=None if level is None else level.value,
        limit=limit,
    )
    app_.terminal.show(view.alerts(rows))

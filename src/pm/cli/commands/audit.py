"""`pm audit`: the audit log of destructive actions (`pm close` prints an entry's id)."""

from __future__ import annotations

import typer

from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt, LimitOpt, SinceOpt


def audit(
    ctx: typer.Context,
    since: SinceOpt = None,
    limit: LimitOpt = 50,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """The audit log of destructive actions, newest first.

    close, close-all, breaker trip and reset, each with its arguments and outcome. Reads the
    database only."""
    from pm.cli.views import audit as view
    from pm.services import audit as service

    app_ = ctx.obj
    rows = service.entries(
        app_.audit_log(), app_.account_id(ask_broker=False), since=since, limit=limit
    )
    app_.terminal.show(view.entries(rows))

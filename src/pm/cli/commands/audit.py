"""`pm audit`: the audit log of destructive actions (`pm close` prints an entry's id)."""

from __future__ import annotations

import typer

from pm.cli.options import CsvOpt, JsonOpt, LimitOpt, SinceOpt


def audit(
    ctx: typer.Context,
    since: SinceOpt = None,
    limit: LimitOpt = 50,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """The audit log of destructive actions, newest first.

    close, close-all, breaker trip and reset, each with its arguments and outcome. Reads the
    database only."""
    from pm.cli.views import audit as view
    from pm.services import audit as service

    app_ = ctx.obj
    one_format(json_, csv)
    rows = service.entries(
        app_.audit_log(), app_.account_id(ask_broker=False), since=since, limit=limit
    )
    view.show(rows, json_=json_, csv=csv)


def one_format(json_: bool, csv: bool) -> None:
    """--json and --csv are two answers to one question: asking for both is a usage error."""
    if json_ and csv:
        raise typer.BadParameter("use one of --json and --csv, not both")

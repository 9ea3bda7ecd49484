"""`pm reconcile` and `pm reconcile status|history|conflicts`."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from pm.cli.context import AppContext
from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt, LimitOpt, SinceOpt

app = typer.Typer(no_args_is_help=False)


def _interval(app_: AppContext) -> timedelta:
    return timedelta(seconds=app_.settings.pm_reconcile_interval)


@app.callback(invoke_without_command=True)
def reconcile(
    ctx: typer.Context,
    json_: JsonOpt = False,
    force: Annotated[
        bool, typer.Option("--force", help="Run even if the interval has not passed.")
    ] = False,
    wait: Annotated[
        float | None,
        typer.Option(
            "--wait",
            min=0,
            max=86400,  # the locks take milliseconds as an int: no infinite wait
            metavar="SECONDS",
            help="If another reconciliation of this account runs, wait this long for it "
            "(at most a day).",
        ),
    ] = None,
    scheduled: Annotated[
        bool, typer.Option("--scheduled", help="Record the run as scheduled (cron).")
    ] = False,
) -> None:
    """Make the local book equal the broker's positions (broker wins); at most once per
    PM_RECONCILE_INTERVAL unless --force. Exit 0 also when skipped (not due, already running)."""
    if ctx.invoked_subcommand is not None:
        return
    from pm.cli.views import reconcile as view
    from pm.domain.reconcile import Trigger
    from pm.services import reconcile as service

    app_ = ctx.obj
    broker = app_.broker()
    from pm.cli.guard import build_desk
    from pm.services.orders import settle_if_free

    settle_if_free(build_desk(app_), app_.account_id())  # pm's own fills first: not external
    trigger: Trigger = "scheduled" if scheduled else "forced" if force else "manual"
    with app_.terminal.progress("applying", view.PROGRESS_THRESHOLD) as progress:
        result = service.reconcile(
            broker,
            app_.account_id(),
            app_.repo(),
            app_.reconcile_store(),
            app_.clock,
            interval=_interval(app_),
            trigger=trigger,
            force=force,
            wait_s=wait or 0,
            progress=progress,
        )
    app_.terminal.show(view.result(result))
    if result.failure is not None:
        raise result.failure
    if result.run.status == "completed":  # then the trade ledger; its failure only warns
        from pm.services import trades as trades_service

        _, warning = trades_service.sync_warning(
            broker, app_.repo(), result.run.account_id, app_.clock
        )
        if warning:
            app_.terminal.warn(warning)


@app.command("status")
def status(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """The last run, whether one is running now, and when the next is due."""
    from pm.cli.views import reconcile as view
    from pm.services import reconcile as service

    app_ = ctx.obj
    result = service.status(
        app_.reconcile_store(),
        app_.account_id(ask_broker=False),
        app_.clock,
        interval=_interval(app_),
    )
    app_.terminal.show(view.status(result))


@app.command("history")
def history(
    ctx: typer.Context,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
    since: SinceOpt = None,
    limit: LimitOpt = 50,
) -> None:
    """Stored reconciliation runs of this account, newest first."""
    from pm.cli.views import reconcile as view
    from pm.services import reconcile as service

    app_ = ctx.obj
    runs = service.history(
        app_.reconcile_store(), app_.account_id(ask_broker=False), since=since, limit=limit
    )
    app_.terminal.show(view.history(runs))


@app.command("conflicts")
def conflicts(
    ctx: typer.Context,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
    since: SinceOpt = None,
    limit: LimitOpt = 50,
) -> None:
    """Quantities the book and the broker disagreed on, and how each was resolved."""
    from pm.cli.views import reconcile as view
    from pm.services import reconcile as service

    app_ = ctx.obj
    rows = service.conflicts(
        app_.reconcile_store(), app_.account_id(ask_broker=False), since=since, limit=limit
    )
    app_.terminal.show(view.conflicts(rows))

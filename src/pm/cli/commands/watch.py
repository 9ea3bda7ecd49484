"""`pm watch`: the long-lived loop (reconciliation first; later jobs register the same way)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from pm.cli.options import JsonlOpt, JsonOpt

#: After SIGINT/SIGTERM, how long the current cycle may take to finish before it is abandoned.
GRACE_S = 3.0


def watch(
    ctx: typer.Context,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
    once: Annotated[bool, typer.Option("--once", help="Run one cycle, then exit.")] = False,
    interval: Annotated[
        int | None,
        typer.Option(
            "--interval",
            min=1,
            metavar="SECONDS",
            help="Reconcile every SECONDS [PM_RECONCILE_INTERVAL, 300].",
        ),
    ] = None,
) -> None:
    """Reconcile (and run later periodic jobs) every interval until SIGINT/SIGTERM."""
    import threading

    from pm.cli.exits_job import build_exits_job
    from pm.cli.graceful import stop_on_signals
    from pm.cli.guard import build_desk
    from pm.cli.rebalance_jobs import build_rebalance_jobs
    from pm.cli.regime_job import build_regime_job
    from pm.cli.views.watch import WatchView
    from pm.services.orders import settle_if_free
    from pm.services.watch import JobRegistry, Watcher, reconcile_job, trades_job

    app_ = ctx.obj
    every = timedelta(seconds=interval or app_.settings.pm_reconcile_interval)
    broker, repo, clock = app_.broker(), app_.repo(), app_.clock
    jobs = JobRegistry()
    desk = build_desk(app_)
    jobs.register(
        reconcile_job(
            broker,
            repo,
            app_.reconcile_store(),
            clock,
            interval=every,
            settle=lambda account_id: settle_if_free(desk, account_id),
        )
    )
    jobs.register(trades_job(broker, repo, clock, interval=every))
    for job in build_rebalance_jobs(app_, desk, interval=every):
        jobs.register(job)
    jobs.register(build_exits_job(app_))  # skips itself while the account has no exit rules
    regime_job = build_regime_job(app_)
    if regime_job is not None:
        jobs.register(regime_job)
    watcher = Watcher(
        jobs=jobs,
        store=app_.job_store(),
        account=app_.account_id,
        clock=clock,
        emit=WatchView(app_.terminal),
        stop=threading.Event(),
    )
    with stop_on_signals(watcher.stop, GRACE_S, on_abandon=watcher.abandoned):
        failure = watcher.run(once=once)
    if once and failure is not None:
        raise failure

"""`pm watch`: the long-lived loop (reconciliation first; later jobs register the same way)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from datetime import timedelta
from typing import Annotated, Any

import typer

from pm.cli.options import JsonOpt

#: After SIGINT/SIGTERM, how long the current cycle may take to finish before it is abandoned.
GRACE_S = 3.0


def watch(
    ctx: typer.Context,
    json_: JsonOpt = False,
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
    from pm.cli.views.watch import WatchView
    from pm.services.accounts import account_id_of
    from pm.services.watch import JobRegistry, Watcher, WatchEvent, reconcile_job

    app_ = ctx.obj
    every = timedelta(seconds=interval or app_.settings.pm_reconcile_interval)
    broker, repo = app_.broker(), app_.repo()
    view = WatchView(json_)
    stop = threading.Event()
    watcher: Any = None

    def account() -> str:
        return account_id_of(broker, repo, app_.clock)

    jobs = JobRegistry()
    jobs.register(
        reconcile_job(
            broker, repo, app_.reconcile_store(), app_.clock, interval=every, account=account
        )
    )
    # Later: jobs.register(rebalance_job(...)), risk alerts, exit rules.
    watcher = Watcher(
        jobs=jobs,
        store=app_.job_store(),
        account=account,
        clock=app_.clock,
        emit=view,
        stop=stop,
    )

    def abandon() -> None:
        # The cycle did not finish in time: leave now. An open transaction dies with the
        # process (the database rolls it back), so nothing is half-written.
        view(
            WatchEvent(
                "stopped", app_.clock.now(), {"reason": "abandoned", "cycles": watcher.cycles}
            )
        )
        sys.stdout.flush()
        os._exit(0)

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            abandon()
        stop.set()
        timer = threading.Timer(GRACE_S, abandon)
        timer.daemon = True
        timer.start()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        failure = watcher.run(once=once)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if once and failure is not None:
        raise failure

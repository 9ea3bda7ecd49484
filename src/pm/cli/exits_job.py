"""`pm exits` wiring: the services' environment from the app, and the `exits` watch job."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.services.exits import ExitsEnv
    from pm.services.watch import Job


def exits_env(app_: AppContext) -> ExitsEnv:
    from pm.services.exits import ExitsEnv

    repo = app_.repo()
    return ExitsEnv(
        broker=app_.broker(),
        market_data=app_.market_data(),
        store=repo.exits,
        ledger=repo.ledger,
        policies=repo.policies,
        clock=app_.clock,
    )


def build_exits_job(app_: AppContext) -> Job:
    """Every PM_EXITS_INTERVAL seconds: one exit pass (equities only while the market is
    open, crypto always). It sends exits only with PM_EXITS_AUTO_EXECUTE=true; otherwise what
    would fire is reported (an ``exits`` job event with the fires) and nothing is sent."""
    from pm.cli.guard import build_desk, build_guard
    from pm.services import exits as service
    from pm.services.watch import exits_job

    settings = app_.settings
    env = exits_env(app_)

    def run(account_id: str) -> service.ExitReport | None:
        if not env.store.rules(account_id):
            return None
        equities = env.broker.get_clock().is_open
        if settings.pm_exits_auto_execute:
            return service.execute(
                env, build_desk(app_), build_guard(app_), account_id, equities=equities
            )
        return service.run(env, account_id, equities=equities)

    return exits_job(run, interval=timedelta(seconds=settings.pm_exits_interval))

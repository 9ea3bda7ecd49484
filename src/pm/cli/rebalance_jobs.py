"""The `rebalance-scheduled` and `rebalance-threshold` jobs of `pm watch`, built from settings."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.services.orders import OrderDesk
    from pm.services.rebalance_triggers import TriggerContext
    from pm.services.watch import Job


def build_rebalance_jobs(app_: AppContext, desk: OrderDesk, *, interval: timedelta) -> list[Job]:
    """Both jobs, every `interval`; they execute only with PM_REBALANCE_AUTO_EXECUTE=true.
    What they need is built on their first run, so `pm watch` starts as fast as before."""
    from pm.services.watch import Job, JobOutcome

    made: list[TriggerContext] = []

    def context() -> TriggerContext:
        if not made:
            made.append(_context(app_, desk))
        return made[0]

    def scheduled(account_id: str) -> JobOutcome:
        from pm.services import rebalance_triggers as triggers

        return triggers.scheduled(context(), account_id)

    def threshold(account_id: str) -> JobOutcome:
        from pm.services import rebalance_triggers as triggers

        return triggers.threshold(context(), account_id)

    return [
        Job("rebalance-scheduled", interval, scheduled),
        Job("rebalance-threshold", interval, threshold),
    ]


def _context(app_: AppContext, desk: OrderDesk) -> TriggerContext:
    from pm.cli.guard import build_guard
    from pm.cli.rebalancing import plan_settings, run_settings_for
    from pm.services import rebalance_triggers as triggers

    settings = app_.settings
    repo = app_.repo()
    return triggers.TriggerContext(
        guard=build_guard(app_),
        desk=desk,
        policies=repo.policies,
        runs=repo.runs,
        alerts=repo.risk,
        plan_settings=plan_settings(app_),
        run_settings=run_settings_for(app_, queue=False),
        auto_execute=settings.pm_rebalance_auto_execute,
    )

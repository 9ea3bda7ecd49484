"""The `rebalance-scheduled` and `rebalance-threshold` jobs of `pm watch`, built from settings."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.services.orders import OrderDesk
    from pm.services.watch import Job


def build_rebalance_jobs(app_: AppContext, desk: OrderDesk, *, interval: timedelta) -> list[Job]:
    """Both jobs, every `interval`; they execute only with PM_REBALANCE_AUTO_EXECUTE=true."""
    from pm.cli.guard import build_guard
    from pm.services import rebalance as planning
    from pm.services import rebalance_run as runs_service
    from pm.services import rebalance_triggers as triggers

    settings = app_.settings
    repo = app_.repo()
    ctx = triggers.TriggerContext(
        guard=build_guard(app_),
        desk=desk,
        policies=repo.policies,
        runs=repo.runs,
        alerts=repo.risk,
        plan_settings=planning.PlanSettings(
            cash_buffer_pct=settings.pm_rebalance_cash_buffer_pct,
            min_trade_pct=settings.pm_rebalance_min_trade_pct,
        ),
        run_settings=runs_service.RunSettings(
            cash_buffer_pct=settings.pm_rebalance_cash_buffer_pct
        ),
        auto_execute=settings.pm_rebalance_auto_execute,
    )
    return triggers.build_jobs(ctx, interval=interval)

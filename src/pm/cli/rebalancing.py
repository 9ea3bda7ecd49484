"""The rebalance services wired to a command's context: the plan, the settings of a run, and
sending one. Shared by `pm rebalance`, its watch jobs and `pm mcp`'s rebalance tools."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.domain.rebalance import Trigger
    from pm.domain.rebalance_runs import RunIntent
    from pm.services.orders import OrderDesk
    from pm.services.rebalance import PlanSettings, RebalancePlan
    from pm.services.rebalance_run import RunDone, RunSettings
    from pm.services.validate import Guard


def _tax_aware(
    app_: AppContext,
    guard: Guard,
    policy: str | None,
    trigger: Trigger,
    plan_settings: PlanSettings,
) -> RebalancePlan:
    """`--tax-aware`: the ledger's lots size the trims (`pm.services.tax_plan`)."""
    from pm.cli.ledger import local_sync
    from pm.services import tax_plan

    account_id = app_.account_id(ask_broker=app_.identity().simulated)
    local_sync(app_, account_id)
    repo = app_.repo()
    return tax_plan.tax_aware_plan(
        guard,
        repo.policies,
        repo.ledger,
        account_id,
        policy_name=policy,
        trigger=trigger,
        settings=plan_settings,
        tolerance_pct=app_.settings.pm_tax_drift_tolerance_pct,
    )


def run_settings_for(
    app_: AppContext, *, queue: bool, fill_timeout: float = 60.0, bps: str | None = None
) -> RunSettings:
    """The settings of a run as `pm rebalance run --execute` makes them (and `pm mcp`'s
    execute_rebalance)."""
    from pm.cli.options import decimal_arg
    from pm.domain.errors import BadInput
    from pm.services.rebalance_run import RunSettings

    slippage = decimal_arg(bps, "--limit-slippage-bps")
    if slippage is not None and not 0 <= slippage <= 1000:
        raise BadInput("--limit-slippage-bps must be in [0, 1000]")
    return RunSettings(
        fill_timeout_s=fill_timeout,
        queue=queue,
        cash_buffer_pct=app_.settings.pm_rebalance_cash_buffer_pct,
        limit_slippage_bps=slippage,
    )


def run_inputs(
    made: RebalancePlan, run_settings: RunSettings
) -> tuple[list[RunIntent], dict[str, Any]]:
    """A plan's run intents and the run's input snapshot (with the plan's `plan_id`): what
    `pm rebalance run --execute` and `pm mcp`'s execute_rebalance send."""
    from pm.records.rebalance import plan as plan_record
    from pm.services import rebalance_run as runs_service

    intents = runs_service.intents_of_plan(made, run_settings.limit_slippage_bps)
    snapshot = runs_service.snapshot_of_plan(made, plan_record(made)["plan_id"])
    return intents, snapshot


def send_run(
    app_: AppContext,
    desk: OrderDesk,
    account_id: str,
    intents: list[RunIntent],
    snapshot: dict[str, Any],
    policy_id: int | None,
    run_settings: RunSettings,
) -> RunDone:
    """A new manual run of `intents` through the rebalance run service (order lock, run row,
    the one order path); the command's and `pm mcp`'s execute_rebalance."""
    from pm.services import rebalance_run as runs_service

    return runs_service.execute(
        desk,
        app_.repo().runs,
        account_id,
        intents=intents,
        snapshot=snapshot,
        policy_id=policy_id,
        trigger="manual",
        settings=run_settings,
    )


def plan_settings(app_: AppContext) -> PlanSettings:
    from pm.services.rebalance import PlanSettings

    settings = app_.settings
    return PlanSettings(
        cash_buffer_pct=settings.pm_rebalance_cash_buffer_pct,
        min_trade_pct=settings.pm_rebalance_min_trade_pct,
    )


def make_plan(
    app_: AppContext, policy: str | None, trigger: Trigger, *, tax_aware: bool = False
) -> RebalancePlan:
    """The plan of `pm rebalance plan` (and of `pm mcp`'s rebalance_plan), live against the
    account, through the pre-trade gate; nothing is sent."""
    from pm.cli.guard import build_guard
    from pm.services import rebalance as service

    guard = build_guard(app_)
    if tax_aware:
        return _tax_aware(app_, guard, policy, trigger, plan_settings(app_))
    return service.make_plan(
        guard,
        app_.repo().policies,
        app_.account_id(),
        policy_name=policy,
        trigger=trigger,
        settings=plan_settings(app_),
    )

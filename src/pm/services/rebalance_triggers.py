"""The `pm watch` jobs that trigger rebalancing: ``rebalance-scheduled`` (the active policy's
frequency has passed since the last completed run; at most once per market day, after the
open) and ``rebalance-threshold`` (some holding is beyond target x (1 + overweight %): a
threshold plan, which only trims those).

A triggered run executes only with `auto_execute` (``PM_REBALANCE_AUTO_EXECUTE=true``) and the
market open (or crypto only); otherwise it is stored ``pending`` with its plan and an alert is
raised: `pm rebalance run --run RUN_ID --execute` approves it. While a triggered run waits for
approval no other is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pm.domain.errors import PmError
from pm.domain.market_calendar import trade_date
from pm.domain.rebalance import Trigger
from pm.domain.rebalance_runs import schedule_due
from pm.domain.risk import Alert
from pm.ports import PolicyStore, RiskStore, RunStore
from pm.services import rebalance as planning
from pm.services import rebalance_run as runs_service
from pm.services.orders import OrderDesk
from pm.services.validate import Guard
from pm.services.watch import JobOutcome


@dataclass(frozen=True, slots=True)
class TriggerContext:
    guard: Guard
    desk: OrderDesk
    policies: PolicyStore
    runs: RunStore
    alerts: RiskStore
    plan_settings: planning.PlanSettings
    run_settings: runs_service.RunSettings
    auto_execute: bool


def scheduled(ctx: TriggerContext, account_id: str) -> JobOutcome:
    """One run of ``rebalance-scheduled`` for the account."""
    policy = ctx.policies.active(account_id)
    if policy is None:
        return JobOutcome("skipped", detail={"reason": "no active policy"})
    ctx.desk.throttle()
    clock = ctx.desk.broker.get_clock()
    now = ctx.desk.clock.now()
    day = trade_date(now).isoformat()
    completed = ctx.runs.runs(account_id, status="completed", limit=1)
    last_scheduled = ctx.runs.runs(account_id, trigger_type="scheduled", limit=1)
    why_not = schedule_due(
        policy.spec.rebalance_frequency,
        now=now,
        market_open=clock.is_open,
        market_day=day,
        last_completed=completed[0].completed_at if completed else None,
        last_scheduled_day=(
            trade_date(last_scheduled[0].started_at).isoformat() if last_scheduled else None
        ),
    )
    if why_not is not None:
        return JobOutcome("skipped", detail={"reason": why_not})
    return _trigger(ctx, account_id, "scheduled", "manual")


def threshold(ctx: TriggerContext, account_id: str) -> JobOutcome:
    """One run of ``rebalance-threshold`` for the account."""
    if ctx.policies.active(account_id) is None:
        return JobOutcome("skipped", detail={"reason": "no active policy"})
    return _trigger(ctx, account_id, "threshold", "threshold")


def _trigger(
    ctx: TriggerContext, account_id: str, trigger: Trigger, plan_kind: Trigger
) -> JobOutcome:
    waiting = [
        r
        for r in ctx.runs.runs(account_id, status="pending", limit=20)
        if r.trigger_type != "manual" and not (r.executed_orders or {}).get("orders")
    ]
    if waiting:
        return JobOutcome(
            "skipped",
            detail={"reason": f"run {waiting[0].id} waits for approval", "run_id": waiting[0].id},
        )
    made = planning.make_plan(
        ctx.guard,
        ctx.policies,
        account_id,
        policy_name=None,
        trigger=plan_kind,
        settings=ctx.plan_settings,
    )
    if not made.plan.intents:
        return JobOutcome("completed", detail={"reason": "within the policy", "intents": 0})
    bps = ctx.run_settings.limit_slippage_bps
    intents = runs_service.intents_of_plan(made, bps)
    snapshot = runs_service.snapshot_of_plan(made, None)
    closed = made.market_open is False and any(not i.is_crypto for i in intents)
    if ctx.auto_execute and not closed:
        try:
            done = runs_service.execute(
                ctx.desk,
                ctx.runs,
                account_id,
                intents=intents,
                snapshot=snapshot,
                policy_id=made.policy.id,
                trigger=trigger,
                settings=ctx.run_settings,
            )
        except PmError as error:
            return JobOutcome("failed", error=error)
        return JobOutcome("completed", detail=_detail(done.run.id, done.run.status, intents))
    why = (
        "PM_REBALANCE_AUTO_EXECUTE is not true" if not ctx.auto_execute else "the market is closed"
    )
    run = runs_service.store_pending(
        ctx.runs,
        account_id,
        intents=intents,
        snapshot=snapshot,
        policy_id=made.policy.id,
        trigger=trigger,
        rationale=(  # the run's id is known once it is stored: filled in below
            f"{trigger} trigger: {len(intents)} intents wait for approval ({why}); "
            "`pm rebalance run --run {id} --execute` sends them"
        ),
        at=ctx.desk.clock.now(),
    )
    run = ctx.runs.update(
        account_id, run.id, rationale=(run.rationale or "").replace("{id}", str(run.id))
    )
    ctx.alerts.save_alerts(
        account_id,
        [
            Alert(
                "warning",
                f"rebalance_{trigger}_pending",
                f"rebalance run {run.id} ({trigger}, policy {made.policy.name}) waits for "
                f"approval: pm rebalance run --run {run.id} --execute",
            )
        ],
        ctx.desk.clock.now(),
    )
    return JobOutcome("completed", detail=_detail(run.id, run.status, intents))


def _detail(run_id: int, status: str, intents: list[Any]) -> dict[str, Any]:
    return {"run_id": run_id, "status": status, "intents": len(intents)}

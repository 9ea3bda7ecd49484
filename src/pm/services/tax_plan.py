"""`pm rebalance plan --tax-aware`: the plan of `pm.services.rebalance.make_plan`, its trims
sized by `pm.domain.tax_plan` from the ledger's lots, and annotated with each sell's estimated
realized gain and each buy's wash sale."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from pm.domain.market_calendar import trade_date
from pm.domain.rebalance import Trigger
from pm.domain.tax_plan import TaxAwarePlanner, annotate
from pm.ports import LedgerStore, PolicyStore
from pm.services.rebalance import PlanSettings, RebalancePlan, make_plan
from pm.services.validate import Guard


def tax_aware_plan(
    guard: Guard,
    policies: PolicyStore,
    ledger: LedgerStore,
    account_id: str,
    *,
    policy_name: str | None,
    trigger: Trigger,
    settings: PlanSettings,
    tolerance_pct: Decimal,
) -> RebalancePlan:
    """The tax-aware plan (see `pm.domain.tax_plan`): the same gate, the same inputs."""
    matched = ledger.lots(account_id)
    today = trade_date(guard.clock.now())
    planner = TaxAwarePlanner(matched.open, today, tolerance_pct)
    made = make_plan(
        guard,
        policies,
        account_id,
        policy_name=policy_name,
        trigger=trigger,
        settings=settings,
        planner=planner,
    )
    tax = annotate(
        made.plan,
        matched.open,
        matched.closed,
        today,
        tolerance_pct=tolerance_pct,
        tax_aware=planner.last,
    )
    return replace(made, tax=tax, warnings=(*made.warnings, *tax.warnings))

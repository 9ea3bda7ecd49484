"""`pm rebalance plan`: read the account live, plan against a policy, pass the pre-trade gate.

The account, its positions and the market clock are fetched concurrently, then the missing
prices (targets not held) and each symbol's asset (fractionable, crypto minimums) in parallel.
The pure planning is `pm.domain.rebalance.plan`; the whole plan then goes through the gate as
one batch (`pm.services.validate.validate_all`, against the same reading of the account), and
a symbol with an order the gate refuses is planned again without that order, so a plan never
contains an order the gate would reject.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from pm.domain.errors import BadInput, CheckFailed, NotFound, PmError
from pm.domain.models import Account, Position, Source
from pm.domain.money import CENT
from pm.domain.policy import Policy
from pm.domain.portfolio import drop_dust, holding_key
from pm.domain.rebalance import (
    Holding,
    Intent,
    Plan,
    PlanDocument,
    PlanInput,
    PlanLimits,
    PlannedOrder,
    PlanPosition,
    SellsAndBuys,
    Tradability,
    Trigger,
    plan,
    stale_reasons,
)
from pm.domain.tax_plan import PlanTax
from pm.domain.timestamps import iso
from pm.ports import PolicyStore
from pm.services import market as market_hours
from pm.services.live import source_of
from pm.services.validate import Fetched, Guard, ProposedOrder, require_all, validate_all

T = TypeVar("T")
ASSET_WORKERS = 8


@dataclass(frozen=True, slots=True)
class PlanSettings:
    cash_buffer_pct: Decimal = Decimal("0.25")
    min_trade_pct: Decimal = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class RebalancePlan:
    """A plan and everything it was based on."""

    account: Account
    positions: tuple[Position, ...]
    policy: Policy
    trigger: Trigger
    plan: Plan
    fetched_at: datetime
    market_open: bool | None
    next_open: datetime | None
    source: Source
    warnings: tuple[str, ...]
    tax: PlanTax | None = None  # `pm rebalance plan --tax-aware` (`pm.services.tax_plan`)


def policy_for(store: PolicyStore, account_id: str, name: str | None) -> Policy:
    """The named policy, else the account's active one."""
    if name is not None:
        return store.get(account_id, name)
    active = store.active(account_id)
    if active is None:
        raise NotFound("the account has no active policy: give `policy` NAME or activate one")
    return active


def make_plan(
    guard: Guard,
    policies: PolicyStore,
    account_id: str,
    *,
    policy_name: str | None,
    trigger: Trigger,
    settings: PlanSettings,
    planner: Callable[[PlanInput], Plan] = plan,
) -> RebalancePlan:
    policy = policy_for(policies, account_id, policy_name)
    broker = guard.broker
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="pm-plan") as pool:
        account_f = pool.submit(broker.get_account)
        positions_f = pool.submit(broker.get_positions)
        clock_f = pool.submit(market_hours.clock_or_none, broker)  # only a warning needs it
        account, positions = account_f.result(), drop_dust(positions_f.result())
        clock = clock_f.result()
    fetched_at = guard.clock.now()
    v = _inputs(guard, policy, account, positions, trigger, settings)
    blocked: dict[str, str] = {}
    result = planner(v)
    # Each round blocks at least one more symbol, so this ends (at the latest with no intents).
    while refused := _gate(guard, result, account, positions):
        blocked.update(refused)
        result = planner(_with_blocked(v, blocked))
    warnings = list(result.warnings)
    if clock is not None and not clock.is_open and any(not i.is_crypto for i in result.intents):
        warnings.append(
            f"market_closed: the market is closed; equity orders wait for the next open "
            f"({iso(clock.next_open)})"
        )
    return RebalancePlan(
        account=account,
        positions=tuple(positions),
        policy=policy,
        trigger=trigger,
        plan=result,
        fetched_at=fetched_at,
        market_open=None if clock is None else clock.is_open,
        next_open=None if clock is None else clock.next_open,
        source=source_of(broker, guard.clock),
        warnings=tuple(warnings),
    )


def _with_blocked(v: PlanInput, blocked: dict[str, str]) -> PlanInput:
    from dataclasses import replace

    return replace(v, blocked=dict(blocked))


def _inputs(
    guard: Guard,
    policy: Policy,
    account: Account,
    positions: Sequence[Position],
    trigger: Trigger,
    settings: PlanSettings,
) -> PlanInput:
    holdings = [
        Holding(
            symbol=holding_key(p.symbol),
            qty=p.qty,
            price=p.current_price,
            market_value=p.market_value,
            asset_class=p.asset_class,
        )
        for p in positions
    ]
    held = {h.symbol: h for h in holdings}
    spec = policy.spec
    targets = {t.symbol: t.weight_pct for t in spec.targets} if spec.targets else None
    symbols = sorted(set(held) | set(targets or {}))
    missing = [s for s in symbols if s not in held]
    with ThreadPoolExecutor(max_workers=ASSET_WORKERS, thread_name_prefix="pm-assets") as pool:
        price_fs = {s: pool.submit(_latest, guard, s) for s in missing}
        asset_fs = {s: pool.submit(_tradability, guard, s) for s in symbols}
        prices = {s: p for s, f in price_fs.items() if (p := f.result()) is not None}
        tradability = {s: f.result() for s, f in asset_fs.items()}
    classes = {h.symbol: h.asset_class for h in holdings}
    sectors = {k: s.name for k, s in guard.sectors.resolve_many(symbols, {**classes}).items()}
    return PlanInput(
        equity=account.equity,
        cash=account.cash,
        buying_power=account.buying_power,
        holdings=holdings,
        targets=targets,
        prices=prices,
        sectors=sectors,
        tradability=tradability,
        limits=PlanLimits(
            policy_max_position_pct=spec.max_position_weight_pct,
            policy_max_sector_pct=spec.max_sector_weight_pct,
            hard_max_position_pct=guard.limits.max_position_pct,
            hard_max_sector_pct=guard.limits.max_sector_pct,
            overweight_threshold_pct=spec.overweight_threshold_pct,
            rotation_top_n=spec.rotation_top_n,
            cash_buffer_pct=settings.cash_buffer_pct,
            min_trade_pct=settings.min_trade_pct,
        ),
        trigger=trigger,
    )


def _latest(guard: Guard, symbol: str) -> Decimal | None:
    if guard.prices is None:
        return None
    try:
        return guard.prices.latest_price(symbol)
    except PmError:
        return None


def _tradability(guard: Guard, symbol: str) -> Tradability:
    try:
        asset = guard.broker.get_asset(symbol)
    except NotFound:
        return Tradability(tradable=False)
    return Tradability(
        fractionable=asset.fractionable,
        tradable=asset.tradable,
        is_crypto=asset.asset_class == "crypto",
        min_order_size=asset.min_order_size,
        min_trade_increment=asset.min_trade_increment,
    )


def _gate(
    guard: Guard, result: Plan, account: Account, positions: Sequence[Position]
) -> dict[str, str]:
    """The symbols whose intent the gate rejects, with its reasons."""
    if not result.intents:
        return {}
    orders = [ProposedOrder(i.symbol, i.side, qty=i.qty, price=i.est_price) for i in result.intents]
    checked = validate_all(guard, orders, fetched=Fetched(account, positions))
    return {
        holding_key(r.order.symbol): "refused by the pre-trade gate: "
        + "; ".join(r.decision.reasons)
        for r in checked
        if not r.approved
    }


# -- a plan read back: checked again in full before anything could be sent ---------------------


@dataclass(frozen=True, slots=True)
class CheckedPlan(SellsAndBuys):
    """A plan document that passed every check against the live account (a dry run)."""

    document: PlanDocument
    account: Account
    positions: tuple[Position, ...]
    intents: tuple[Intent, ...]  # the document's intents, valued at the live prices
    cash_buffer: Decimal
    source: Source
    warnings: tuple[str, ...]


def check_plan(
    guard: Guard,
    doc: PlanDocument,
    *,
    max_price_move_pct: Decimal,
    settings: PlanSettings,
) -> CheckedPlan:
    """Check a plan read from a file or stdin against the live account, in full: the account
    it was made for, its `based_on` (quantities equal, prices within `max_price_move_pct`;
    else `CheckFailed` "plan is stale", exit 1), the cash its buys need, and every intent
    through the pre-trade gate as one batch (a refusal is `CheckFailed`)."""
    broker = guard.broker
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pm-check") as pool:
        account_f = pool.submit(broker.get_account)
        positions_f = pool.submit(broker.get_positions)
        account, positions = account_f.result(), drop_dust(positions_f.result())
    if doc.account_id != account.account_id:
        raise CheckFailed(
            f"plan is stale: it was made for account {doc.account_id}, not {account.account_id}"
        )
    live = [PlanPosition(holding_key(p.symbol), p.qty, p.current_price) for p in positions]
    stale = stale_reasons(doc.positions, live, max_price_move_pct)
    if stale:
        raise CheckFailed("plan is stale: " + "; ".join(stale) + ". Make a new plan.")
    prices = {p.symbol: p.price for p in live}
    missing = sorted({i.symbol for i in doc.intents if i.symbol not in prices})
    with ThreadPoolExecutor(max_workers=ASSET_WORKERS, thread_name_prefix="pm-check") as pool:
        found = pool.map(lambda s: _latest(guard, s), missing)
        for symbol, price in zip(missing, found, strict=True):
            if price is None:
                raise BadInput(f"no price for {symbol}: the plan cannot be checked")
            prices[symbol] = price
    intents = tuple(_valued(i, prices[i.symbol]) for i in doc.intents)
    sold = sum((i.est_value for i in intents if i.side == "sell"), Decimal(0))
    bought = sum((i.est_value for i in intents if i.side == "buy"), Decimal(0))
    buffer = (max(account.equity, Decimal(0)) * settings.cash_buffer_pct / 100).quantize(CENT)
    available = account.cash + sold - buffer
    if bought > available:
        raise CheckFailed(
            f"the plan's buys need {bought.quantize(CENT)} but the cash after its sells minus "
            f"the buffer is {available.quantize(CENT)}"
        )
    orders = [
        ProposedOrder(
            o.symbol,
            o.side,
            qty=o.qty,
            notional=o.notional,
            price=o.limit_price or prices[o.symbol],
        )
        for o in doc.intents
    ]
    if orders:
        require_all(guard, orders, fetched=Fetched(account, positions))
    return CheckedPlan(
        document=doc,
        account=account,
        positions=tuple(positions),
        intents=tuple(sorted(intents, key=lambda i: (i.side == "buy", i.seq))),
        cash_buffer=buffer,
        source=source_of(broker, guard.clock),
        warnings=(
            ("the plan was edited after it was made (its plan_id does not match its content)",)
            if doc.edited
            else ()
        ),
    )


def _valued(o: PlannedOrder, price: Decimal) -> Intent:
    """A document's intent at the live price (a notional order: its amount)."""
    value = o.notional if o.notional is not None else (o.qty or Decimal(0)) * price
    qty = o.qty if o.qty is not None else value / price
    return Intent(
        seq=o.seq,
        symbol=o.symbol,
        side=o.side,
        qty=qty,
        est_price=price,
        est_value=value,
        reason=o.reason,  # type: ignore[arg-type]  # a known code (document_problems)
        target_pct=o.target_pct or Decimal(0),
        current_pct=o.current_pct or Decimal(0),
        is_crypto=o.time_in_force == "gtc",
    )

"""`pm close SYMBOL` and `pm close-all --emergency`: plan, validate, audit, then the broker.

Each command runs in two steps so the CLI can show the plan and ask for confirmation in
between: `plan_close` / `plan_close_all` read the account and positions (one round trip)
and pass every order through pre-trade validation (`services.validate.require`: closing
reduces, so it passes the limits and a HALTED breaker); `execute_close` /
`execute_close_all` write the audit row ("pending", committed) *before* the broker is called
and record the outcome afterwards, whatever happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from pm.domain.breaker import EMERGENCY_REASON, BreakerStatus
from pm.domain.errors import BadInput, NotFound
from pm.domain.models import Actor, CloseResult, Order, OrderSide, Position, Source
from pm.ports import AuditLog, BreakerStore
from pm.services.audited import Outcome, audited
from pm.services.live import account_and_positions, source_of
from pm.services.validate import (
    QTY_PLACES,
    Fetched,
    Guard,
    ProposedOrder,
    ValidationResult,
    held,
    require,
    require_all,
)


@dataclass(frozen=True, slots=True)
class ClosePlan:
    account_id: str
    position: Position
    side: OrderSide
    qty: Decimal  # what will be closed
    qty_arg: Decimal | None  # what the broker is asked for (None with percentage / all)
    percentage: Decimal | None
    estimated_value: Decimal  # |qty| x current price
    validation: ValidationResult

    @property
    def symbol(self) -> str:
        return self.position.symbol

    @property
    def everything(self) -> bool:
        return self.qty_arg is None and self.percentage is None


@dataclass(frozen=True, slots=True)
class CloseDone:
    plan: ClosePlan
    order: Order
    audit_id: int
    source: Source


@dataclass(frozen=True, slots=True)
class CloseAllPlan:
    account_id: str
    positions: tuple[Position, ...]
    validations: tuple[ValidationResult, ...]

    @property
    def estimated_value(self) -> Decimal:
        return sum((abs(p.market_value) for p in self.positions), Decimal(0))


@dataclass(frozen=True, slots=True)
class CloseAllDone:
    plan: CloseAllPlan
    results: tuple[CloseResult, ...]
    outcome: Outcome
    breaker: BreakerStatus
    audit_id: int
    source: Source

    @property
    def failed(self) -> tuple[CloseResult, ...]:
        return tuple(r for r in self.results if not r.ok)


def closing_side(position: Position) -> OrderSide:
    return "sell" if position.qty > 0 else "buy"


def plan_close(
    guard: Guard, symbol: str, *, qty: Decimal | None, percentage: Decimal | None
) -> ClosePlan:
    """What `pm close` will do. NotFound (exit 4) without such a position; BadInput (exit 2)
    for a quantity the position cannot give."""
    if qty is not None and percentage is not None:
        raise BadInput("give `qty` or `percentage`, not both")
    if qty is not None and qty <= 0:
        raise BadInput("`qty` must be > 0")
    if percentage is not None and not 0 < percentage <= 100:
        raise BadInput("`percentage` must be in (0, 100]")
    with account_and_positions(guard.broker) as pending:
        account, positions = pending.result()
    position = held(positions, symbol)
    if position is None:
        raise NotFound(f"no open position in {symbol.upper()}")
    size = abs(position.qty)
    if qty is not None:
        if qty > size:
            raise BadInput(f"`qty` {qty} is more than the {size} {position.symbol} held")
        amount = qty
    elif percentage is not None:
        amount = (
            size
            if percentage == 100
            else (size * percentage / 100).quantize(QTY_PLACES, rounding=ROUND_DOWN).normalize()
        )
        if amount == 0:
            raise BadInput(f"{percentage} % of {size} {position.symbol} is nothing to close")
    else:
        amount = size
    side = closing_side(position)
    validation = require(
        guard,
        ProposedOrder(position.symbol, side, qty=amount, price=position.current_price),
        fetched=Fetched(account, positions),
    )
    return ClosePlan(
        account_id=account.account_id,
        position=position,
        side=side,
        qty=amount,
        qty_arg=qty,
        percentage=percentage if percentage != 100 else None,
        estimated_value=(amount * position.current_price).quantize(Decimal("0.01")),
        validation=validation,
    )


def execute_close(
    guard: Guard, audit: AuditLog, plan: ClosePlan, actor: Actor, *, arguments: dict[str, Any]
) -> CloseDone:
    """Audit ("pending"), close at the broker, audit the outcome. Broker errors propagate
    after the failure is recorded."""
    clock = guard.clock
    with audited(
        audit,
        clock,
        actor,
        account_id=plan.account_id,
        action="close",
        arguments={
            **arguments,
            "symbol": plan.symbol,
            "side": plan.side,
            "close_qty": plan.qty,
            "held_qty": plan.position.qty,
        },
    ) as entry:
        order = guard.broker.close_position(
            plan.symbol, qty=plan.qty_arg, percentage=plan.percentage
        )
        entry.details = {"order": order_details(order)}
    return CloseDone(plan, order, entry.id, source_of(guard.broker, clock))


def plan_close_all(guard: Guard) -> CloseAllPlan:
    """Every open position, each passed through validation as the order that closes it."""
    with account_and_positions(guard.broker) as pending:
        account, positions = pending.result()
    fetched = Fetched(account, positions, cancels_open_orders=True)  # it cancels them first
    orders = [
        ProposedOrder(p.symbol, closing_side(p), qty=abs(p.qty), price=p.current_price)
        for p in positions
        if p.qty != 0
    ]
    validations = tuple(require_all(guard, orders, fetched=fetched))
    return CloseAllPlan(account.account_id, tuple(positions), validations)


def execute_close_all(
    guard: Guard,
    audit: AuditLog,
    store: BreakerStore,
    plan: CloseAllPlan,
    actor: Actor,
    *,
    arguments: dict[str, Any],
) -> CloseAllDone:
    """Audit, trip the breaker ("emergency close-all"), cancel open orders and close every
    position in one broker call, then audit each symbol's result."""
    clock = guard.clock
    with audited(
        audit,
        clock,
        actor,
        account_id=plan.account_id,
        action="close-all",
        arguments={
            **arguments,
            "cancel_orders": True,
            "positions": [{"symbol": p.symbol, "qty": p.qty} for p in plan.positions],
        },
    ) as entry:
        breaker = store.trip(plan.account_id, EMERGENCY_REASON, str(actor), clock.now())
        results = tuple(guard.broker.close_all_positions(cancel_orders=True))
        failures = sum(1 for r in results if not r.ok)
        outcome: Outcome = (
            "succeeded" if failures == 0 else "failed" if failures == len(results) else "partial"
        )
        entry.outcome = outcome
        entry.details = {
            "breaker": breaker.state,
            "results": [
                {
                    "symbol": r.symbol,
                    "status": r.status_code,
                    "error": r.error,
                    "order": order_details(r.order) if r.order is not None else None,
                }
                for r in results
            ],
        }
    return CloseAllDone(plan, results, outcome, breaker, entry.id, source_of(guard.broker, clock))


def order_details(order: Order) -> dict[str, Any]:
    """An order as the audit log stores it and `pm close --json` prints it."""
    return {
        "id": order.id,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "qty": order.qty,
        "status": order.status,
        "filled_qty": order.filled_qty,
        "filled_avg_price": order.filled_avg_price,
    }

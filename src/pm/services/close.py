"""`pm close SYMBOL` and `pm close-all --emergency`: plan, validate, audit, then the broker.

Each command runs in two steps so the CLI can show the plan and ask for confirmation in
between: `plan_close` / `plan_close_all` read the account and positions (one round trip)
and pass every order through pre-trade validation (`services.validate.require`: closing
reduces, so it passes the limits and a HALTED breaker); `execute_close` /
`execute_close_all` send the orders through the one order path (`pm.services.orders`):
the account's order lock, settling what an earlier command left unknown, the audit row and
the order rows committed in one transaction before the broker is called, one market order
per position with pm's own client_order_id, and the fills recorded into the ledger and the
book.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from pm.domain.breaker import EMERGENCY_REASON, BreakerStatus
from pm.domain.errors import BadInput, CheckFailed, NotFound, PmError
from pm.domain.models import CloseResult, Order, OrderSide, Position, Source
from pm.domain.pm_orders import OrderIntent, order_symbol
from pm.domain.portfolio import holding_key
from pm.ports import BreakerStore
from pm.services import orders
from pm.services.audited import Outcome, audited
from pm.services.live import account_and_positions, source_of
from pm.services.orders import OrderDesk, order_details, reason_codes
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
    for a quantity the position cannot give, or no symbol at all."""
    if not symbol.strip():
        raise BadInput("give the symbol of the position to close")
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
            raise BadInput(f"{percentage:f} % of {size:f} {position.symbol} is nothing to close")
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
    desk: OrderDesk, plan: ClosePlan, *, arguments: dict[str, Any], origin: str = "close"
) -> CloseDone:
    """Close through the order path (`services.orders`): under the account's order lock,
    settle what is unsettled, check the position is still what the plan saw (another pm
    close may have closed it meanwhile: `AlreadyClosed`, nothing sent), then one market
    order with pm's client_order_id. `origin` names who asked (``close``, ``mcp``) in the
    order row and its client_order_id. Broker errors propagate after they are recorded."""
    with orders.session(desk, plan.account_id):
        _still_held(desk, plan)
        placed = orders.submit(
            desk,
            plan.account_id,
            [_intent(plan.position, plan.side, plan.qty, plan.validation)],
            origin=origin,
            action="close",
            arguments={
                **arguments,
                "symbol": plan.symbol,
                "side": plan.side,
                "close_qty": plan.qty,
                "held_qty": plan.position.qty,
            },
            details=lambda legs: {
                "order": order_details(legs[0].answer) if legs[0].answer else None,
                "orders": [orders.leg_details(x) for x in legs],
            },
        )
    leg = placed.legs[0]
    assert leg.answer is not None  # a leg without an answer raised in submit
    return CloseDone(plan, leg.answer, placed.audit_id, source_of(desk.broker, desk.clock))


class AlreadyClosed(CheckFailed):
    """The position changed since the plan: another pm command (named) or an order outside
    pm moved it. Nothing was sent."""


def _still_held(desk: OrderDesk, plan: ClosePlan) -> None:
    positions = desk.broker.get_positions()
    orders.sync_book(desk, plan.account_id, positions)
    position = held(positions, plan.symbol)
    now_qty = position.qty if position is not None else Decimal(0)
    if now_qty == plan.position.qty:
        return
    recent = desk.store.orders(
        plan.account_id, symbol=order_symbol(plan.symbol, plan.position.asset_class), limit=1
    )
    if recent:
        o = recent[0]
        raise AlreadyClosed(
            f"{plan.symbol} changed while this close waited: pm order {o.client_order_id} "
            f"(audit #{o.audit_id}, {o.origin}) {o.side} {o.qty} is {o.status}"
            + (f", {o.filled_qty} filled" if o.filled_qty else "")
            + f"; {now_qty} {plan.symbol} held now. Nothing was sent."
        )
    raise AlreadyClosed(
        f"{plan.symbol} changed since the plan ({plan.position.qty} -> {now_qty} held, not by "
        "pm); nothing was sent: run the close again"
    )


def _intent(
    position: Position, side: OrderSide, qty: Decimal, validation: ValidationResult
) -> OrderIntent:
    crypto = position.asset_class == "crypto"
    return OrderIntent(
        symbol=order_symbol(position.symbol, position.asset_class),
        side=side,
        qty=qty,
        time_in_force="gtc" if crypto else "day",  # Alpaca takes gtc/ioc for crypto only
        reason_codes=reason_codes(validation.decision),
    )


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
    desk: OrderDesk,
    store: BreakerStore,
    plan: CloseAllPlan,
    *,
    arguments: dict[str, Any],
) -> CloseAllDone:
    """Under the order lock: settle, trip the breaker ("emergency close-all"), cancel every
    open order, then one closing order per position through the order path (sent
    concurrently, bounded), all under one audit row."""
    clock = desk.clock
    position_symbol = {holding_key(p.symbol): p.symbol for p in plan.positions}
    legs_of = {
        p.symbol: _intent(p, closing_side(p), abs(p.qty), v)
        for p, v in zip([p for p in plan.positions if p.qty != 0], plan.validations, strict=True)
    }
    with orders.session(desk, plan.account_id):
        breaker = store.trip(plan.account_id, EMERGENCY_REASON, str(desk.actor), clock.now())
        cancelled, cancel_error = _cancel_open_orders(desk)
        positions = desk.broker.get_positions()
        orders.sync_book(desk, plan.account_id, positions)
        held_now = {holding_key(p.symbol) for p in positions if p.qty != 0}
        intents = [i for s, i in legs_of.items() if holding_key(s) in held_now]
        placed = (
            orders.submit(
                desk,
                plan.account_id,
                intents,
                origin="close-all",
                action="close-all",
                arguments={
                    **arguments,
                    "cancel_orders": True,
                    "positions": [{"symbol": p.symbol, "qty": p.qty} for p in plan.positions],
                },
                details=lambda legs: {
                    "breaker": breaker.state,
                    "cancelled_orders": cancelled,
                    "cancel_error": cancel_error,
                    "results": [
                        {
                            "symbol": position_symbol.get(
                                holding_key(x.order.symbol), x.order.symbol
                            ),
                            "status": x.status_code,
                            "error": x.error.message if x.error is not None else None,
                            "order": order_details(x.answer) if x.answer is not None else None,
                            "client_order_id": x.order.client_order_id,
                        }
                        for x in legs
                    ],
                },
            )
            if intents
            else None
        )
    results = tuple(
        CloseResult(
            symbol=position_symbol.get(holding_key(x.order.symbol), x.order.symbol),
            status_code=x.status_code,
            order=x.answer,
            error=x.error.message if x.error is not None else None,
        )
        for x in (placed.legs if placed is not None else ())
    )
    outcome: Outcome = placed.outcome if placed is not None else "succeeded"
    audit_id = placed.audit_id if placed is not None else _audit_nothing(desk, plan, arguments)
    return CloseAllDone(plan, results, outcome, breaker, audit_id, source_of(desk.broker, clock))


def _cancel_open_orders(desk: OrderDesk) -> tuple[int, str | None]:
    """Cancel every open order first (they may hold the shares the closes sell); wait
    briefly for the broker to finish cancelling. Never stops the emergency close."""
    try:
        results = desk.broker.cancel_all_orders()
        if results and not desk.broker.simulated:
            deadline = time.monotonic() + desk.fill_wait_s
            while desk.broker.list_orders(status="open") and time.monotonic() < deadline:
                time.sleep(desk.poll_every_s)
    except PmError as error:
        return 0, error.message
    return sum(1 for r in results if r.ok), None


def _audit_nothing(desk: OrderDesk, plan: CloseAllPlan, arguments: dict[str, Any]) -> int:
    """No position left to close: the action (breaker trip, cancels) is audited alone."""
    with audited(
        desk.audit,
        desk.clock,
        desk.actor,
        account_id=plan.account_id,
        action="close-all",
        arguments={**arguments, "cancel_orders": True, "positions": []},
    ) as entry:
        entry.details = {"results": []}
    return entry.id

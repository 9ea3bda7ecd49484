"""The one path every order of pm takes (close, close-all; later rebalance, exits, mcp).

    with orders.session(desk, account_id):            # the account's order lock, then settle
        placed = orders.submit(desk, account_id, intents, origin="close", action="close",
                               arguments={...})

1. `session` takes the account's order lock (one order-placing command per account at a
   time, across processes and hosts; waits up to `desk.lock_wait_s`, else `CheckFailed`),
   then `settle`s every order of the account whose outcome pm does not know yet.
2. `submit` writes the audit row and one ``pending`` order row per intent in ONE
   transaction (`OrderStore.begin`), each with its deterministic client_order_id
   (`pm-<origin>-<audit id>-<leg>-<salt>`), and only then calls the broker.
3. The broker's answer is recorded (`OrderStore.record`); an order not final yet is polled
   for up to `desk.fill_wait_s`; once final with a fill, the fill row and the book's row
   change in the same transaction.
4. An ambiguous failure (timeout, dropped connection, 5xx, and the adapter's lookup by
   client_order_id failed too) leaves the order ``unknown`` and the audit row ``unknown``;
   the next command's `settle` looks it up by client_order_id, so it is never sent twice.

The pre-trade gate (`services.validate.require` / `require_all`) runs before: callers that
planned (and showed) the order pass its validations; `submit` runs it itself otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pm.domain.errors import BrokerRejected, BrokerUnavailable, CheckFailed, NotFound, PmError
from pm.domain.models import Actor, Order, OrderRequest, Position
from pm.domain.pm_orders import (
    NOT_SENT,
    PENDING,
    REJECTED,
    UNKNOWN,
    OrderIntent,
    PmOrder,
    is_final,
)
from pm.domain.validation import ValidationDecision
from pm.logging import get_logger
from pm.ports import AuditLog, Broker, Clock, OrderStore, ReconcileStore
from pm.services.audited import Outcome, audited

log = get_logger("pm.orders")

#: Named points of the order path, for fault tests (`OrderDesk.checkpoint`).
BEFORE_ORDER_COMMIT = "before-order-commit"
AFTER_ORDER_COMMIT = "after-order-commit"
AFTER_BROKER_ANSWER = "after-broker-answer"
AFTER_FILL_RECORDED = "after-fill-recorded"


def _no_fault(_step: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class OrderDesk:
    """What the order path needs; built once per command (`pm.cli.guard.build_desk`)."""

    broker: Broker
    store: OrderStore
    audit: AuditLog
    clock: Clock
    actor: Actor
    fill_wait_s: float = 5.0  # how long a submitted, unfilled order is polled for its fill
    lock_wait_s: float = 30.0  # how long to wait for another command's order lock
    poll_every_s: float = 0.25
    max_workers: int = 8  # legs sent at once (a simulated broker gets one)
    checkpoint: Callable[[str], None] = field(default=_no_fault)
    # With it, the positions read under the lock are written to the book first (as
    # `pm positions` does), so the fills that follow move rows that match the broker.
    book: ReconcileStore | None = None
    # Called before each broker request the order path makes (a caller's rate limit, e.g.
    # a rebalance run's 200 requests a minute); by default nothing.
    throttle: Callable[[], None] = field(default=lambda: None)


@dataclass(frozen=True, slots=True)
class Leg:
    """One order's outcome: the row as stored, the broker's order (when it answered), or the
    refusal (HTTP status and message)."""

    order: PmOrder
    answer: Order | None
    error: PmError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.answer is not None and self.order.status != UNKNOWN

    @property
    def unknown(self) -> bool:
        return self.order.status == UNKNOWN

    @property
    def status_code(self) -> int:
        """An HTTP-like status, as close-all has always reported each symbol's: 200 when the
        broker took the order, the broker's status when it refused, 504 when unknown."""
        if self.ok:
            return 200
        if isinstance(self.error, BrokerRejected):
            return self.error.status_code
        if self.unknown:
            return 504
        return 404 if isinstance(self.error, NotFound) else 400


@dataclass(frozen=True, slots=True)
class Placed:
    audit_id: int
    legs: tuple[Leg, ...]
    outcome: Outcome


def reason_codes(decision: ValidationDecision) -> tuple[str, ...]:
    """The gate's reason codes of an approved order (what it passed as, e.g. ``reducing``)."""
    codes = getattr(decision, "codes", None)
    if codes:
        return tuple(str(c) for c in codes)
    return ("reducing",) if decision.reducing else ("approved",)


# -- the lock and settling -------------------------------------------------------------------


@contextmanager
def session(desk: OrderDesk, account_id: str) -> Iterator[list[PmOrder]]:
    """Hold the account's order lock and settle what is unsettled first; yields the orders
    settled now. `CheckFailed` (exit 1, nothing sent) when another command holds the lock
    longer than `desk.lock_wait_s`."""
    with desk.store.lock(account_id, desk.lock_wait_s) as got:
        if not got:
            raise CheckFailed(
                f"another pm command is placing orders for account {account_id}; nothing was "
                "sent (run it again when that one is done)"
            )
        yield settle(desk, account_id)


def settle(desk: OrderDesk, account_id: str) -> list[PmOrder]:
    """Look up every order of the account whose outcome is not final by its client_order_id
    and record what the broker says (a fill goes into the ledger and the book); an order the
    broker never received is ``not_sent``. The audit rows of actions left ``pending`` or
    ``unknown`` get their outcome once all their orders are known. Call it under the lock.

    `BrokerUnavailable` when the broker cannot be asked: then nothing new may be sent.
    """
    open_orders = desk.store.orders(account_id, unsettled=True)
    settled: list[PmOrder] = []
    # a command killed after its orders were answered leaves its audit row unfinished too
    audits = dict.fromkeys(desk.store.unfinished_audits(account_id), True)
    for order in reversed(open_orders):  # oldest first
        was_unknown = order.status in (PENDING, UNKNOWN)
        desk.throttle()
        answer = desk.broker.get_order_by_client_id(order.client_order_id)
        now = desk.clock.now()
        if answer is None:
            if not was_unknown:
                continue  # known to the broker once; left for the activities sync
            stored = desk.store.record(order, NOT_SENT, now)
        elif answer.status == order.status and answer.filled_qty == order.filled_qty:
            continue
        else:
            stored = desk.store.record(order, answer.status, now, answer)
        settled.append(stored)
        log.info(
            "order settled",
            account_id=account_id,
            client_order_id=order.client_order_id,
            was=order.status,
            now=stored.status,
        )
        if was_unknown and order.audit_id is not None:
            audits[order.audit_id] = True
    for audit_id in audits:
        _settle_audit(desk, audit_id)
    return settled


def settle_if_free(desk: OrderDesk, account_id: str) -> list[PmOrder]:
    """`settle` for commands that read the account (`pm orders`, `pm reconcile`): only when
    something is unsettled and no other command holds the order lock; a broker that does
    not answer leaves the orders for the next command (logged), never fails the caller."""
    if not desk.store.orders(
        account_id, unsettled=True, limit=1
    ) and not desk.store.unfinished_audits(account_id):
        return []
    try:
        with desk.store.lock(account_id) as got:
            return settle(desk, account_id) if got else []
    except PmError as error:
        log.warning("orders not settled", account_id=account_id, error=error.message)
        return []


def _settle_audit(desk: OrderDesk, audit_id: int) -> None:
    legs = desk.store.for_audit(audit_id)
    if any(o.status in (PENDING, UNKNOWN) for o in legs):
        return
    sent = [o for o in legs if o.status not in (NOT_SENT, REJECTED)]
    outcome: Outcome = (
        "succeeded" if len(sent) == len(legs) else "failed" if not sent else "partial"
    )
    desk.audit.finish(
        audit_id,
        outcome=outcome,
        details={"settled": True, "orders": [stored_details(o) for o in legs]},
        at=desk.clock.now(),
    )


def sync_book(desk: OrderDesk, account_id: str, positions: Sequence[Position]) -> None:
    """Write positions just read from the broker into the book (a ``positions``
    reconciliation), so the fills about to be recorded move rows equal to the broker's."""
    if desk.book is not None:
        from pm.services.reconcile import write_fetched

        write_fetched(desk.book, account_id, positions, desk.clock)


# -- submitting ------------------------------------------------------------------------------


def submit(
    desk: OrderDesk,
    account_id: str,
    intents: Sequence[OrderIntent],
    *,
    origin: str,
    action: str,
    arguments: dict[str, Any],
    origin_ref: str | None = None,
    details: Callable[[tuple[Leg, ...]], dict[str, Any]] | None = None,
) -> Placed:
    """Write the audit row and the order rows (one transaction), send each order, record the
    answers; see the module doc. Call it inside `session`. The audit outcome: ``succeeded``
    when every order was taken, ``failed`` when none, ``unknown`` when some outcome is not
    known and none was taken, ``partial`` otherwise. Errors of a single-order action are
    raised after they are recorded (an unknown outcome as `BrokerUnavailable`)."""
    stored: list[PmOrder] = []

    def begin() -> int:
        desk.checkpoint(BEFORE_ORDER_COMMIT)
        audit_id, rows = desk.store.begin(
            account_id=account_id,
            action=action,
            arguments=arguments,
            os_user=desk.actor.user,
            host=desk.actor.host,
            at=desk.clock.now(),
            origin=origin,
            origin_ref=origin_ref,
            intents=intents,
        )
        stored.extend(rows)
        desk.checkpoint(AFTER_ORDER_COMMIT)
        return audit_id

    with audited(
        desk.audit,
        desk.clock,
        desk.actor,
        account_id=account_id,
        action=action,
        arguments=arguments,
        begin=begin,
    ) as entry:
        entry.outcome = "unknown"  # until the broker answered: an interruption may have sent it
        legs = _send_all(desk, stored)
        outcome = _outcome(legs)
        entry.outcome = outcome
        entry.details = (
            details(legs) if details is not None else {"orders": [leg_details(x) for x in legs]}
        )
        if len(legs) == 1 and legs[0].error is not None:
            raise legs[0].error
    return Placed(entry.id, legs, outcome)


def _outcome(legs: Sequence[Leg]) -> Outcome:
    ok = sum(1 for x in legs if x.ok)
    if ok == len(legs):
        return "succeeded"
    if ok == 0:
        return "unknown" if any(x.unknown for x in legs) else "failed"
    return "partial"


def _send_all(desk: OrderDesk, rows: Sequence[PmOrder]) -> tuple[Leg, ...]:
    workers = 1 if desk.broker.simulated else max(1, min(desk.max_workers, len(rows)))
    if workers == 1:
        return tuple(_send(desk, row) for row in rows)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pm-order") as pool:
        return tuple(pool.map(lambda row: _send(desk, row), rows))


def _request(row: PmOrder) -> OrderRequest:
    return OrderRequest(
        symbol=row.symbol,
        side=row.side,
        client_order_id=row.client_order_id,
        qty=row.qty,
        notional=row.notional,
        type=row.order_type,
        time_in_force=row.time_in_force,
        limit_price=row.limit_price,
        trail_percent=row.trail_percent,
    )


def _send(desk: OrderDesk, row: PmOrder) -> Leg:
    """One order to the broker and its answer into the table."""
    try:
        desk.throttle()
        answer = desk.broker.submit_order(_request(row))
    except BrokerUnavailable as error:  # the adapter's lookup by client id failed too
        stored = desk.store.record(row, UNKNOWN, desk.clock.now())
        log.warning(
            "order outcome unknown", client_order_id=row.client_order_id, error=error.message
        )
        return Leg(
            stored,
            None,
            BrokerUnavailable(
                f"order {row.client_order_id} ({row.side} {row.symbol}): outcome unknown "
                f"({error.message}); the next pm command that touches the account settles it",
                broker=error.broker,
                last_attempt=error.last_attempt,
            ),
        )
    except PmError as error:  # refused: nothing was placed
        return Leg(desk.store.record(row, REJECTED, desk.clock.now()), None, error)
    except BaseException:
        desk.store.record(row, UNKNOWN, desk.clock.now())
        raise
    desk.checkpoint(AFTER_BROKER_ANSWER)
    if row.order_type == "market":  # a resting order (a native trailing stop) is not awaited
        answer = _wait_for_fill(desk, answer)
    stored = desk.store.record(row, answer.status, desk.clock.now(), answer)
    desk.checkpoint(AFTER_FILL_RECORDED)
    if answer.status == REJECTED:  # taken, then refused (Alpaca rejects some asynchronously)
        refused = BrokerRejected(
            f"order {row.client_order_id} ({row.side} {row.symbol}) was rejected by the broker",
            status_code=422,
        )
        return Leg(stored, answer, refused)
    return Leg(stored, answer)


def _wait_for_fill(desk: OrderDesk, answer: Order) -> Order:
    """Poll an order that is not final yet, briefly (`desk.fill_wait_s`): a market order
    while the market is open fills within moments; one that waits for the open stays
    ``new``/``accepted`` and is settled by a later command."""
    deadline = time.monotonic() + desk.fill_wait_s
    while not is_final(answer.status) and time.monotonic() < deadline:
        time.sleep(desk.poll_every_s)
        try:
            desk.throttle()
            found = desk.broker.get_order_by_client_id(answer.client_order_id)
        except BrokerUnavailable:
            break  # the order was taken; its fill is settled later
        if found is None:
            break
        answer = found
    return answer


# -- what the audit log stores and `pm orders` prints ------------------------------------------


def order_details(order: Order) -> dict[str, Any]:
    """An order as the broker answered it (the audit log's and `pm close --json`'s form)."""
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


def stored_details(order: PmOrder) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "client_order_id": order.client_order_id,
        "broker_order_id": order.broker_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "qty": order.qty,
        "status": order.status,
        "filled_qty": order.filled_qty,
        "filled_avg_price": order.filled_avg_price,
    }


def leg_details(leg: Leg) -> dict[str, Any]:
    out = stored_details(leg.order)
    if leg.error is not None:
        out["error"] = leg.error.message
    return out

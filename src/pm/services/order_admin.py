"""`pm orders` and `pm orders cancel`: pm's own orders as stored, the broker's open orders,
and cancelling them (audited, under the account's order lock, like every order action)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pm.domain.errors import BadInput, NotFound, PmError
from pm.domain.models import CancelResult, Order
from pm.domain.pm_orders import PmOrder
from pm.logging import get_logger
from pm.services import orders
from pm.services.audited import audited
from pm.services.orders import OrderDesk

log = get_logger("pm.orders")

StatusFilter = Literal["open", "all"]


@dataclass(frozen=True, slots=True)
class Cancelled:
    account_id: str
    results: tuple[CancelResult, ...]
    audit_id: int

    @property
    def failed(self) -> tuple[CancelResult, ...]:
        return tuple(r for r in self.results if not r.ok)


def stored(
    desk: OrderDesk, account_id: str, *, status: str, limit: int | None = None
) -> list[PmOrder]:
    """pm's orders, newest first (``open``: those whose outcome is not final). Unsettled
    orders are settled first when the lock is free and the broker answers; otherwise they
    are listed as stored (a listing never fails for want of the broker)."""
    if status not in ("open", "all"):
        raise BadInput(f"`status` must be open or all, not {status!r}")
    orders.settle_if_free(desk, account_id)
    return desk.store.orders(account_id, unsettled=status == "open", limit=limit)


def at_broker(desk: OrderDesk, *, status: str, limit: int = 500) -> list[Order]:
    """The broker's orders (pm's and any other's), newest first."""
    if status not in ("open", "all"):
        raise BadInput(f"`status` must be open or all, not {status!r}")
    return desk.broker.list_orders(status=status, limit=limit)


def cancel(desk: OrderDesk, account_id: str, order_id: str | None, *, every: bool) -> Cancelled:
    """Cancel one order (pm's order number, or the broker's order id) or every open order;
    audited, under the order lock; pm's cancelled orders are settled afterwards."""
    if every == (order_id is not None):
        raise BadInput("give an order `id` or `all`, not both and not neither")
    if order_id is not None and not order_id.strip():  # `pm orders cancel "$ID"`, ID unset
        raise BadInput("the order id is empty: give pm's order number or the broker's order id")
    with orders.session(desk, account_id):
        target = _broker_id(desk, account_id, order_id) if order_id is not None else None
        with audited(
            desk.audit,
            desk.clock,
            desk.actor,
            account_id=account_id,
            action="orders-cancel",
            arguments={"order_id": order_id, "all": every, "broker_order_id": target},
        ) as entry:
            if target is not None:
                desk.broker.cancel_order(target)
                results: tuple[CancelResult, ...] = (CancelResult(target, 204),)
            else:
                results = tuple(desk.broker.cancel_all_orders())
            failed = sum(1 for r in results if not r.ok)
            entry.outcome = (
                "succeeded" if not failed else "failed" if failed == len(results) else "partial"
            )
            entry.details = {
                "results": [
                    {"order_id": r.order_id, "status": r.status_code, "error": r.error}
                    for r in results
                ]
            }
        try:
            orders.settle(desk, account_id)
        except PmError as error:  # the cancels are done; their rows settle next time
            log.warning("orders not settled", account_id=account_id, error=error.message)
    return Cancelled(account_id, results, entry.id)


def _broker_id(desk: OrderDesk, account_id: str, order_id: str) -> str:
    """pm's order number (digits) is looked up in the table; anything else is the broker's."""
    if not order_id.isdigit():
        return order_id
    row = desk.store.get(account_id, int(order_id))
    if row.broker_order_id is None:
        raise NotFound(f"pm order {order_id} never reached the broker ({row.status})")
    return row.broker_order_id

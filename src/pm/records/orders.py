"""pm's orders (`pm orders`), the broker's orders (`pm orders --broker`) and cancels; in CSV
the nested `status_history` and `reason_codes` are one cell of JSON text each."""

from __future__ import annotations

from typing import Any

from pm.domain.models import CancelResult, Order
from pm.domain.pm_orders import PmOrder
from pm.services.order_admin import Cancelled

COLUMNS = (
    "id",
    "account_id",
    "client_order_id",
    "origin",
    "origin_ref",
    "audit_id",
    "symbol",
    "side",
    "qty",
    "notional",
    "order_type",
    "limit_price",
    "time_in_force",
    "status",
    "broker_order_id",
    "filled_qty",
    "filled_avg_price",
    "reason_codes",
    "status_history",
    "created_at",
    "submitted_at",
    "updated_at",
    "filled_at",
)

BROKER_COLUMNS = (
    "id",
    "client_order_id",
    "pm",
    "symbol",
    "side",
    "type",
    "status",
    "qty",
    "notional",
    "filled_qty",
    "filled_avg_price",
    "submitted_at",
    "filled_at",
)


def order(o: PmOrder) -> dict[str, Any]:
    return {name: getattr(o, name) for name in COLUMNS}


def broker_order(o: Order) -> dict[str, Any]:
    return {
        name: o.client_order_id.startswith("pm-") if name == "pm" else getattr(o, name)
        for name in BROKER_COLUMNS
    }


def cancel_result(r: CancelResult) -> dict[str, Any]:
    return {"order_id": r.order_id, "status_code": r.status_code, "ok": r.ok, "error": r.error}


def cancelled(done: Cancelled) -> dict[str, Any]:
    return {
        "account_id": done.account_id,
        "cancelled": sum(1 for r in done.results if r.ok),
        "failed": len(done.failed),
        "results": [cancel_result(r) for r in done.results],
        "audit_id": done.audit_id,
    }

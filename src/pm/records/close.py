"""Closing orders (`pm close`, `pm close-all`)."""

from __future__ import annotations

from typing import Any

from pm.domain.models import CloseResult
from pm.records.common import source
from pm.services.close import CloseAllDone, CloseDone, ClosePlan
from pm.services.orders import order_details


def plan(p: ClosePlan) -> dict[str, Any]:
    """What a close would send, before it is confirmed (`pm mcp`'s preview)."""
    return {
        "account_id": p.account_id,
        "symbol": p.symbol,
        "side": p.side,
        "qty": p.qty,
        "held_qty": p.position.qty,
        "percentage": p.percentage,
        "estimated_value": p.estimated_value,
        "current_price": p.position.current_price,
    }


def close(done: CloseDone) -> dict[str, Any]:
    plan = done.plan
    return {
        "account_id": plan.account_id,
        "symbol": plan.symbol,
        "side": plan.side,
        "qty": plan.qty,
        "held_qty": plan.position.qty,
        "percentage": plan.percentage,
        "estimated_value": plan.estimated_value,
        "outcome": "succeeded",
        "order": order_details(done.order),
        "audit_id": done.audit_id,
        "source": source(done.source),
    }


def close_result(r: CloseResult) -> dict[str, Any]:
    """One symbol of a close-all: the broker's HTTP status for it, and the order if any."""
    return {
        "symbol": r.symbol,
        "status_code": r.status_code,
        "ok": r.ok,
        "error": r.error,
        "order": order_details(r.order) if r.order is not None else None,
    }


def close_all(done: CloseAllDone) -> dict[str, Any]:
    return {
        "account_id": done.plan.account_id,
        "outcome": done.outcome,
        "closed": sum(1 for r in done.results if r.ok),
        "failed": len(done.failed),
        "results": [close_result(r) for r in done.results],
        "circuit_breaker": done.breaker.state,
        "circuit_breaker_reason": done.breaker.reason,
        "audit_id": done.audit_id,
        "source": source(done.source),
    }

"""Rebalance runs as `pm rebalance run --execute`, `resume`, `show` and `list` print them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pm.domain.pm_orders import PmOrder
from pm.domain.rebalance_runs import RebalanceRun, seq_of
from pm.records.common import pct

LIST_COLUMNS = (
    "run_id",
    "status",
    "trigger",
    "policy",
    "started_at",
    "completed_at",
    "intents",
    "orders_filled",
    "skipped",
    "drift_before_pct",
    "drift_after_pct",
    "rationale",
)


#: Amounts a run's JSON columns store as exact text (`jsonable`), printed as JSON numbers again.
INTENT_AMOUNTS = ("qty", "notional", "limit_price", "est_price", "target_pct", "current_pct")
METRIC_AMOUNTS = ("sell_value", "buy_value", "cash_after", "drift_before_pct", "drift_after_pct")


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _amounts(stored: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {k: _dec(v) if k in names else v for k, v in stored.items()}


def _metrics(r: RebalanceRun) -> dict[str, Any]:
    return _amounts(dict((r.executed_orders or {}).get("metrics") or {}), METRIC_AMOUNTS)


def order(o: PmOrder, run_id: int) -> dict[str, Any]:
    return {
        "seq": seq_of(o.client_order_id, run_id),
        "client_order_id": o.client_order_id,
        "broker_order_id": o.broker_order_id,
        "symbol": o.symbol,
        "side": o.side,
        "qty": o.qty,
        "notional": o.notional,
        "order_type": o.order_type,
        "limit_price": o.limit_price,
        "status": o.status,
        "filled_qty": o.filled_qty,
        "filled_avg_price": o.filled_avg_price,
    }


def fill(o: PmOrder, run_id: int) -> dict[str, Any]:
    return {
        "seq": seq_of(o.client_order_id, run_id),
        "symbol": o.symbol,
        "side": o.side,
        "qty": o.filled_qty,
        "price": o.filled_avg_price,
        "filled_at": o.filled_at,
    }


def run(r: RebalanceRun, orders: Sequence[PmOrder]) -> dict[str, Any]:
    """One run, whole: its intents, orders, fills, skips, drift and rationale."""
    executed = r.executed_orders or {}
    metrics = _metrics(r)
    return {
        "run_id": r.id,
        "account_id": r.account_id,
        "status": r.status,
        "trigger": r.trigger_type,
        "policy": r.input_snapshot.get("policy"),
        "plan_id": r.input_snapshot.get("plan_id"),
        "trace_id": r.trace_id,
        "started_at": r.started_at,
        "completed_at": r.completed_at,
        "drift_before_pct": pct(_dec(r.input_snapshot.get("drift_before_pct"))),
        "drift_after_pct": pct(metrics.get("drift_after_pct")),
        "intents": [
            _amounts(
                {k: v for k, v in i.items() if k not in ("is_crypto", "whole_shares")},
                INTENT_AMOUNTS,
            )
            for i in r.order_intents
        ],
        "orders": [order(o, r.id) for o in orders],
        "fills": [fill(o, r.id) for o in orders if o.filled_qty > 0],
        "skipped": list(executed.get("skipped") or []),
        "metrics": metrics,
        "rationale": r.rationale,
    }


def listed(r: RebalanceRun) -> dict[str, Any]:
    metrics = _metrics(r)
    return {
        "run_id": r.id,
        "status": r.status,
        "trigger": r.trigger_type,
        "policy": r.input_snapshot.get("policy"),
        "started_at": r.started_at,
        "completed_at": r.completed_at,
        "intents": len(r.order_intents),
        "orders_filled": metrics.get("orders_filled"),
        "skipped": metrics.get("skipped"),
        "drift_before_pct": pct(_dec(r.input_snapshot.get("drift_before_pct"))),
        "drift_after_pct": pct(metrics.get("drift_after_pct")),
        "rationale": r.rationale,
    }

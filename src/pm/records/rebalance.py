"""Rebalance plans (`pm rebalance plan --json`): a self-contained document a pipeline can
edit and hand back to `pm rebalance run --plan -`.

``plan_id`` is a hash of the rest of the document, so any edit (a jq filter dropping an
intent) gives another id. Estimated values are to the cent; quantities and prices exact.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from pm.domain.money import CENT
from pm.domain.rebalance import Intent
from pm.records.common import pct, source
from pm.records.policy import policy as policy_record
from pm.services.rebalance import RebalancePlan

INTENT_COLUMNS = (
    "seq",
    "symbol",
    "side",
    "qty",
    "order_type",
    "time_in_force",
    "est_price",
    "est_value",
    "reason",
    "target_pct",
    "current_pct",
)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def intent(i: Intent) -> dict[str, Any]:
    return {
        "seq": i.seq,
        "symbol": i.symbol,
        "side": i.side,
        "qty": i.qty.normalize() if i.qty == i.qty.to_integral_value() else i.qty,
        "order_type": i.order_type,
        "time_in_force": i.time_in_force,
        "est_price": i.est_price,
        "est_value": _cents(i.est_value),
        "reason": i.reason,
        "target_pct": pct(i.target_pct),
        "current_pct": pct(i.current_pct),
    }


def plan(p: RebalancePlan) -> dict[str, Any]:
    result = p.plan
    body: dict[str, Any] = {
        "account_id": p.account.account_id,
        "policy": policy_record(p.policy),
        "trigger": p.trigger,
        "based_on": {
            "account_id": p.account.account_id,
            "equity": p.account.equity,
            "cash": p.account.cash,
            "buying_power": p.account.buying_power,
            "positions": [
                {"symbol": pos.symbol, "qty": pos.qty, "price": pos.current_price}
                for pos in sorted(p.positions, key=lambda pos: pos.symbol)
            ],
            "fetched_at": p.fetched_at,
        },
        "intents": [intent(i) for i in result.intents],
        "totals": {
            "sells": len(result.sells),
            "buys": len(result.buys),
            "sell_value": _cents(sum((i.est_value for i in result.sells), Decimal(0))),
            "buy_value": _cents(sum((i.est_value for i in result.buys), Decimal(0))),
            "turnover": _cents(result.turnover),
            "cash_before": result.cash_before,
            "cash_after": _cents(result.cash_after),
            "cash_buffer": result.cash_buffer,
            "min_trade": result.min_trade,
            "drift_before_pct": pct(result.drift_before_pct),
            "drift_after_pct": pct(result.drift_after_pct),
        },
        "warnings": list(p.warnings),
        "source": source(p.source),
    }
    return {"plan_id": plan_id(body), **body}


def plan_id(body: dict[str, Any]) -> str:
    """A hash of a plan document's content (everything but `plan_id` itself)."""
    content = {k: v for k, v in body.items() if k != "plan_id"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)

"""A pre-trade validation (`pm validate`)."""

from __future__ import annotations

from typing import Any

from pm.records.common import pct, source
from pm.services.validate import ValidationResult


def validation(result: ValidationResult) -> dict[str, Any]:
    d = result.decision
    return {
        "account_id": result.account_id,
        "approved": d.approved,
        "position_limit_ok": d.position_limit_ok,
        "sector_limit_ok": d.sector_limit_ok,
        "daily_loss_ok": d.daily_loss_ok,
        "circuit_breaker_ok": d.circuit_breaker_ok,
        "buying_power_ok": d.buying_power_ok,
        "estimated_position_value": d.estimated_position_value,
        "position_pct": pct(d.position_pct),
        "sector": d.sector,
        "sector_pct": pct(d.sector_pct),
        "reasons": list(d.reasons),
        "symbol": result.symbol,
        "side": result.order.side,
        "qty": result.qty,
        "price": result.price,
        "price_source": result.price_source,
        "held_qty": result.current_qty,
        "reducing": d.reducing,
        "order_value": d.order_value,
        "required_buying_power": d.required_buying_power,
        "daily_pl_pct": pct(-d.daily_loss_pct),
        "circuit_breaker": result.breaker.state,
        "circuit_breaker_tripped_now": result.breaker_tripped_now,
        "risk_level": result.risk_level,
        "source": source(result.source),
        "broker_rules_ok": d.broker_rules_ok,
        "reason_codes": list(d.codes),
        "rejections": [{"code": r.code, "reason": r.reason} for r in d.rejections],
        "warnings": [{"code": n.code, "message": n.text} for n in d.notes],
        "qty_available": result.qty_available,
        "market_open": result.market_open,
    }

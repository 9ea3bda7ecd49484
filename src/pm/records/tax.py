"""Tax records: open lots (`pm tax lots`), harvests (`pm tax harvest`), a harvest's orders,
and the fields a tax-aware rebalance plan adds (`pm rebalance plan --tax-aware`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pm.domain.portfolio import holding_key
from pm.domain.tax import TaxLot
from pm.domain.tax_plan import PlanTax
from pm.records.common import cents, pct, source
from pm.services.orders import leg_details
from pm.services.tax import Candidate, HarvestDone, HarvestPlan

LOT_COLUMNS = (
    "symbol",
    "side",
    "qty",
    "open_price",
    "cost",
    "current_price",
    "market_value",
    "unrealized_gain",
    "opened_at",
    "holding_days",
    "term",
    "long_term_from",
    "days_to_long_term",
    "open_fill_id",
)

HARVEST_COLUMNS = (
    "symbol",
    "qty",
    "held_qty",
    "lots",
    "cost",
    "price",
    "proceeds",
    "est_realized_pl",
    "est_short_term_pl",
    "est_long_term_pl",
    "wash_sale",
    "wash_sale_reason",
    "window_start",
    "window_end",
    "buy_again_from",
    "executable",
    "blocked",
)


def lot(t: TaxLot) -> dict[str, Any]:
    starts = t.long_term_from
    return {
        "symbol": t.lot.symbol,
        "side": t.lot.side,
        "qty": t.lot.qty,
        "open_price": t.lot.price,
        "cost": cents(t.cost),
        "current_price": t.price,
        "market_value": cents(t.market_value),
        "unrealized_gain": cents(t.unrealized_gain),
        "opened_at": t.lot.opened_at,
        "holding_days": t.holding_days,
        "term": t.term,
        "long_term_from": starts.isoformat() if starts is not None else None,
        "days_to_long_term": t.days_to_long_term,
        "open_fill_id": t.lot.fill_id,
    }


def candidate(c: Candidate) -> dict[str, Any]:
    h = c.harvest
    start, end = h.window
    return {
        "symbol": h.symbol,
        "qty": h.qty,
        "held_qty": c.position.qty,
        "lots": len(h.lots),
        "cost": cents(h.cost),
        "price": h.price,
        "proceeds": cents(h.proceeds),
        "est_realized_pl": cents(h.estimate.total),
        "est_short_term_pl": cents(h.estimate.short_term),
        "est_long_term_pl": cents(h.estimate.long_term),
        "wash_sale": h.wash_sale,
        "wash_sale_reason": h.why_wash(),
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "buy_again_from": h.buy_again_from.isoformat(),
        "executable": c.executable,
        "blocked": c.blocked,
    }


def harvest_done(done: HarvestDone) -> dict[str, Any]:
    sent_pl = sum((c.harvest.estimate.total for c in done.sent), Decimal(0))
    orders = []
    for x in done.legs:
        c = _sent_for(done, x.order.symbol)
        orders.append(
            {
                **leg_details(x),
                "est_realized_pl": cents(c.harvest.estimate.total) if c is not None else None,
            }
        )
    return {
        "account_id": done.plan.account_id,
        "audit_id": done.audit_id,
        "orders": orders,
        "est_realized_pl": cents(sent_pl),
        "skipped": [{"symbol": s, "why": why} for s, why in done.skipped]
        + [
            {"symbol": c.harvest.symbol, "why": c.blocked}
            for c in done.plan.candidates
            if not c.executable
        ],
        "source": source(done.source),
    }


def _sent_for(done: HarvestDone, order_symbol: str) -> Candidate | None:
    key = holding_key(order_symbol)
    return next((c for c in done.sent if c.harvest.symbol == key), None)


def plan_summary(p: HarvestPlan) -> dict[str, Any]:
    return {
        "account_id": p.account_id,
        "min_loss": p.min_loss,
        "candidates": len(p.candidates),
        "executable": len(p.executable),
        "est_realized_pl": cents(p.est_realized_pl),
    }


# -- a tax-aware rebalance plan's fields -------------------------------------------------------


def intent_fields(tax: PlanTax, seq: int) -> dict[str, Any]:
    """What `--tax-aware` adds to each intent of the plan."""
    it = tax.of(seq)
    e = it.estimate if it is not None else None
    wash = it.wash_sale if it is not None else None
    return {
        "est_realized_gain": cents(e.total) if e is not None else None,
        "est_short_term_gain": cents(e.short_term) if e is not None else None,
        "est_long_term_gain": cents(e.long_term) if e is not None else None,
        "plain_qty": it.plain_qty if it is not None else None,
        "wash_sale": wash is not None,
        "wash_sale_reason": wash.sentence() if wash is not None else None,
    }


def plan_fields(tax: PlanTax) -> dict[str, Any]:
    """What `--tax-aware` adds to the plan (its ``tax`` object)."""
    return {
        "tax_aware": tax.tax_aware,
        "tolerance_pct": tax.tolerance_pct,
        "est_realized_gain": cents(tax.total),
        "est_short_term_gain": cents(tax.short_term),
        "est_long_term_gain": cents(tax.long_term),
        "estimate_complete": tax.complete,
        "plain_est_short_term_gain": cents(tax.plain_short_term_gain),
        "plain_drift_after_pct": pct(tax.plain_drift_after_pct),
        "wash_sale_buys": [i.symbol for i in tax.wash_sales],
    }

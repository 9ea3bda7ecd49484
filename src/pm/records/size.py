"""Kelly sizing (`pm size`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pm.records.common import cents, pct, source
from pm.services.size import SizeReport

_PLACES = Decimal("0.0001")


def report(r: SizeReport) -> dict[str, Any]:
    s, z, g = r.stats, r.sizing, r.gate
    gate: dict[str, Any] = (
        {"approved": g.approved, "reasons": list(g.decision.reasons)}
        if g is not None
        else {"approved": None, "reasons": ["no order: the suggested size is 0"]}
    )
    return {
        "account_id": r.account_id,
        "symbol": r.symbol,
        "win_rate": s.win_rate.quantize(_PLACES),
        "avg_win": cents(s.avg_win),
        "avg_loss": cents(s.avg_loss),
        "trades_used": s.trades,
        "stats_from": r.stats_from,
        "raw_kelly": z.raw_kelly.quantize(_PLACES),
        "fraction": z.fraction,
        "regime": r.regime.call.regime,
        "regime_multiplier": z.multiplier,
        "kelly_pct": pct(z.kelly_pct),
        "suggested_pct": pct(z.suggested_pct),
        "capped_by": z.capped_by,
        "suggested_value": cents(z.suggested_value),
        "equity": r.equity,
        "buying_power": r.buying_power,
        "price": r.price,
        "price_source": r.price_source,
        "fractionable": r.fractionable,
        "suggested_qty": r.qty,
        "reasons": list(z.reasons),
        "gate": gate,
        "source": source(r.source),
    }

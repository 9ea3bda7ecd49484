"""The risk report (`pm risk`) and its alerts."""

from __future__ import annotations

from typing import Any

from pm.domain.risk import Alert
from pm.records.common import pct, source
from pm.services.risk import RiskReport


def alert(a: Alert) -> dict[str, Any]:
    data: dict[str, Any] = {"level": a.level, "code": a.code, "message": a.message}
    if a.symbol is not None:
        data["symbol"] = a.symbol
    if a.sector is not None:
        data["sector"] = a.sector
    return data


def report(r: RiskReport) -> dict[str, Any]:
    a = r.assessment
    m = a.metrics
    v = r.var
    return {
        "account_id": r.account_id,
        "equity": m.equity,
        "max_concentration_pct": pct(m.max_concentration_pct),
        "max_concentration_symbol": m.max_concentration_symbol,
        "concentration_breached": a.concentration_breached,
        "sector_exposure": {name: pct(value) for name, value in m.sector_exposure.items()},
        "sector_breached": a.sector_breached,
        "var_95": v.var_95,
        "var_99": v.var_99,
        "cvar_95": v.cvar_95,
        "cvar_99": v.cvar_99,
        "var_method": v.method,
        "var_days": v.days,
        "var_excluded": list(r.var_excluded),
        "drawdown_pct": pct(m.drawdown_pct),
        "peak_equity": m.peak_equity,
        "drawdown_breached": a.drawdown_breached,
        "risk_level": a.level.name,
        "alerts": [alert(x) for x in a.alerts],
        "circuit_breaker": r.breaker.state,
        "circuit_breaker_tripped_now": r.breaker_tripped_now,
        "positions": [
            {
                "symbol": symbol,
                "position_pct": pct(share),
                "sector": r.sectors[symbol].name if symbol in r.sectors else None,
                "sector_source": r.sectors[symbol].source if symbol in r.sectors else None,
            }
            for symbol, share in sorted(m.position_pct.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "source": source(r.source),
    }

"""The market regime (`pm regime`)."""

from __future__ import annotations

from typing import Any

from pm.domain.regime import Observation
from pm.services.regime import RegimeReport


def _value(obs: Observation | None) -> Any:
    return obs.value if obs is not None else None


def _date(obs: Observation | None) -> Any:
    return obs.date if obs is not None else None


def report(r: RegimeReport) -> dict[str, Any]:
    i = r.inputs
    return {
        "regime": r.call.regime,
        "multiplier": r.call.multiplier,
        "rule": r.call.rule,
        "vix": _value(i.vix),
        "vix_date": _date(i.vix),
        "spread_10y2y": _value(i.spread_10y2y),
        "spread_10y2y_date": _date(i.spread_10y2y),
        "spread_10y3m": _value(i.spread_10y3m),
        "spread_10y3m_date": _date(i.spread_10y3m),
        "unemployment": _value(i.unemployment),
        "unemployment_date": _date(i.unemployment),
        "reasons": list(r.call.reasons),
        "source": r.source,
        "cached": r.cached,
        "stale": r.stale,
        "fetched_at": r.fetched_at,
        "age_seconds": int(r.age.total_seconds()) if r.age is not None else None,
        "emergency_stop": r.emergency_stop,
        "emergency_vix": r.emergency_limit,
        "breaker_tripped": r.breaker_tripped_now,
    }

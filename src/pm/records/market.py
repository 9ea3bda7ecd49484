"""The market clock (`pm market`)."""

from __future__ import annotations

from typing import Any

from pm.records.common import source
from pm.services.market import MarketStatus, Session


def _session(s: Session | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"date": s.date, "open": s.open, "close": s.close, "early_close": s.early_close}


def status(m: MarketStatus) -> dict[str, Any]:
    return {
        "is_open": m.is_open,
        "timestamp": m.timestamp,
        "next_open": m.next_open,
        "next_close": m.next_close,
        "session": _session(m.session),
        "next_session": _session(m.next_session),
        "source": source(m.source),
    }

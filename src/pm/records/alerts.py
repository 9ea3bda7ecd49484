"""Stored risk alerts (`pm alerts`)."""

from __future__ import annotations

from typing import Any

from pm.ports import StoredAlert

COLUMNS = (
    "id",
    "account_id",
    "created_at",
    "level",
    "code",
    "breach",
    "symbol",
    "sector",
    "message",
)


def stored(s: StoredAlert) -> dict[str, Any]:
    a = s.alert
    return {
        "id": s.id,
        "account_id": s.account_id,
        "created_at": s.created_at,
        "level": a.level,
        "code": a.code,
        "breach": a.is_breach,
        "symbol": a.symbol,
        "sector": a.sector,
        "message": a.message,
    }

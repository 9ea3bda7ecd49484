"""Sector answers and imports (`pm sectors`). Sectors belong to symbols, not to an account,
so these records have no `account_id`."""

from __future__ import annotations

from typing import Any

from pm.domain.sectors import Sector
from pm.services.sectors import ImportResult

COLUMNS = ("symbol", "sector", "sector_source")


def sector(symbol: str, s: Sector) -> dict[str, Any]:
    return {"symbol": symbol, "sector": s.name, "sector_source": s.source}


def imported(result: ImportResult) -> dict[str, Any]:
    return {
        "file": result.file,
        "rows": result.rows,
        "inserted": result.inserted,
        "updated": result.updated,
    }

"""Helpers for the breaker / validate / close CLI tests: the audit and breaker tables."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def audit_rows(pm_home: Path) -> list[dict[str, Any]]:
    """Every audit_log row of the test's SQLite file, oldest first (empty if no database)."""
    path = pm_home / "pm.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        exists = conn.execute(
            "select 1 from sqlite_master where type='table' and name='audit_log'"
        ).fetchone()
        if not exists:
            return []
        rows = [dict(r) for r in conn.execute("select * from audit_log order by id")]
    for row in rows:
        for key in ("arguments", "outcome_details"):
            if row[key] is not None:
                row[key] = json.loads(row[key])
    return rows


def breaker_row(pm_home: Path, account_id: str) -> dict[str, Any] | None:
    with sqlite3.connect(pm_home / "pm.db") as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute(
            "select * from circuit_breakers where account_id = ?", (account_id,)
        ).fetchone()
    return None if row is None else dict(row)


def calm(alpaca: Any) -> None:
    """Drop the fake's BTCUSD position (32 % of equity: a CRITICAL book, which trips the
    breaker by itself) so a test sees only the rule it is about."""
    alpaca.positions = [p for p in alpaca.positions if p["symbol"] != "BTCUSD"]

"""Sector data (`universe_fundamentals`) and risk alerts (`alerts`); implements `RiskStore`
(which includes `SectorStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select

from pm.db.bulk import StoredForm, executemany
from pm.db.queries import chunks, newest_first
from pm.db.tables import alerts as alerts_t
from pm.db.tables import universe_fundamentals as fundamentals
from pm.db.transactions import Transactions, ensure_account
from pm.domain.risk import Alert, AlertLevel
from pm.domain.sectors import SectorRecord
from pm.ports import StoredAlert


class SqlRiskStore(Transactions):
    def sectors_for(self, symbols: Sequence[str]) -> dict[str, str]:
        wanted = sorted(set(symbols))
        found: dict[str, str] = {}
        if not wanted:
            return found
        with self.read() as conn:
            for chunk in chunks(wanted):
                rows = conn.execute(
                    select(fundamentals.c.symbol, fundamentals.c.sector).where(
                        fundamentals.c.symbol.in_(chunk)
                    )
                )
                found.update({row.symbol: row.sector for row in rows})
        return found

    def import_sectors(self, records: Sequence[SectorRecord], now: datetime) -> tuple[int, int]:
        symbols = [r.symbol for r in records]
        with self.write() as conn:
            existing: set[str] = set()
            for chunk in chunks(symbols):
                existing.update(
                    conn.execute(
                        select(fundamentals.c.symbol).where(fundamentals.c.symbol.in_(chunk))
                    ).scalars()
                )
            new = [r for r in records if r.symbol not in existing]
            old = [r for r in records if r.symbol in existing]
            # Bulk: the shared timestamp in stored form once, rows as tuples (pm.db.bulk).
            form = StoredForm(conn, fundamentals)
            at = form.value("updated_at", now)
            executemany(
                conn,
                form.insert(("symbol", "sector", "industry", "updated_at")),
                [(r.symbol, r.sector, r.industry, at) for r in new],
            )
            executemany(
                conn,
                form.update(("sector", "industry", "updated_at"), "symbol"),
                [(r.sector, r.industry, at, r.symbol) for r in old],
            )
        return len(new), len(old)

    def save_alerts(self, account_id: str, alerts: Sequence[Alert], now: datetime) -> None:
        if not alerts:
            return
        with self.write() as conn:
            ensure_account(conn, account_id, now)
            conn.execute(
                insert(alerts_t),
                [
                    {
                        "account_id": account_id,
                        "level": a.level,
                        "code": a.code,
                        "message": a.message,
                        "symbol": a.symbol,
                        "sector": a.sector,
                        "created_at": now,
                    }
                    for a in alerts
                ],
            )

    def alerts(self, account_id: str, *, limit: int | None = None) -> list[Alert]:
        """Stored alerts of the account, newest first."""
        stmt = newest_first(alerts_t, "created_at", account_id, limit=limit)
        with self.read() as conn:
            return [
                Alert(r.level, r.code, r.message, symbol=r.symbol, sector=r.sector)
                for r in conn.execute(stmt)
            ]

    def alert_history(
        self,
        account_id: str,
        *,
        since: datetime | None = None,
        levels: Sequence[AlertLevel] | None = None,
        limit: int | None = None,
    ) -> list[StoredAlert]:
        stmt = newest_first(alerts_t, "created_at", account_id, since=since, limit=limit)
        if levels is not None:
            stmt = stmt.where(alerts_t.c.level.in_(list(levels)))
        with self.read() as conn:
            return [
                StoredAlert(
                    id=r.id,
                    account_id=r.account_id,
                    created_at=r.created_at,
                    alert=Alert(r.level, r.code, r.message, symbol=r.symbol, sector=r.sector),
                )
                for r in conn.execute(stmt)
            ]

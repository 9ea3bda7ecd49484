"""Sector data (`universe_fundamentals`), risk alerts (`alerts`) and the peak equity of the
stored snapshots; implements `SectorStore` and `RiskStore`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Float, Table, bindparam, insert, select, update
from sqlalchemy import cast as sql_cast

from pm.db.models import AlertRow, SnapshotRow, UniverseFundamentalRow
from pm.db.queries import newest_first
from pm.db.repository import _ensure_account, _Transactions
from pm.domain.risk import Alert, AlertLevel
from pm.domain.sectors import SectorRecord
from pm.ports import StoredAlert

fundamentals = cast(Table, UniverseFundamentalRow.__table__)
alerts_t = cast(Table, AlertRow.__table__)
snapshots = cast(Table, SnapshotRow.__table__)

# SQLite stores decimals as TEXT: order by their float value, then decide among the top few
# in Decimal, so a near-tie that float cannot separate still picks the true maximum.
_PEAK_CANDIDATES = 8
_IN_CHUNK = 500


class SqlRiskStore(_Transactions):
    def sectors_for(self, symbols: Sequence[str]) -> dict[str, str]:
        wanted = sorted(set(symbols))
        found: dict[str, str] = {}
        if not wanted:
            return found
        with self._read() as conn:
            for i in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[i : i + _IN_CHUNK]
                rows = conn.execute(
                    select(fundamentals.c.symbol, fundamentals.c.sector).where(
                        fundamentals.c.symbol.in_(chunk)
                    )
                )
                found.update({row.symbol: row.sector for row in rows})
        return found

    def import_sectors(self, records: Sequence[SectorRecord], now: datetime) -> tuple[int, int]:
        symbols = [r.symbol for r in records]
        with self._write() as conn:
            existing: set[str] = set()
            for i in range(0, len(symbols), _IN_CHUNK):
                chunk = symbols[i : i + _IN_CHUNK]
                existing.update(
                    conn.execute(
                        select(fundamentals.c.symbol).where(fundamentals.c.symbol.in_(chunk))
                    ).scalars()
                )
            new = [r for r in records if r.symbol not in existing]
            old = [r for r in records if r.symbol in existing]
            if new:
                conn.execute(
                    insert(fundamentals),
                    [_values(r, now) for r in new],
                )
            if old:
                conn.execute(
                    update(fundamentals)
                    .where(fundamentals.c.symbol == bindparam("b_symbol"))
                    .values(
                        sector=bindparam("b_sector"),
                        industry=bindparam("b_industry"),
                        updated_at=now,
                    ),
                    [
                        {"b_symbol": r.symbol, "b_sector": r.sector, "b_industry": r.industry}
                        for r in old
                    ],
                )
        return len(new), len(old)

    def peak_equity(self, account_id: str) -> Decimal | None:
        with self._read() as conn:
            equity = snapshots.c.equity
            order = sql_cast(equity, Float) if conn.dialect.name == "sqlite" else equity
            values = conn.execute(
                select(equity)
                .where(snapshots.c.account_id == account_id)
                .order_by(order.desc())
                .limit(_PEAK_CANDIDATES)
            ).scalars()
            candidates = [Decimal(v) for v in values]
        return max(candidates) if candidates else None

    def save_alerts(self, account_id: str, alerts: Sequence[Alert], now: datetime) -> None:
        if not alerts:
            return
        with self._write() as conn:
            _ensure_account(conn, account_id, now)
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
        with self._read() as conn:
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
        with self._read() as conn:
            return [
                StoredAlert(
                    id=r.id,
                    account_id=r.account_id,
                    created_at=r.created_at,
                    alert=Alert(r.level, r.code, r.message, symbol=r.symbol, sector=r.sector),
                )
                for r in conn.execute(stmt)
            ]


def _values(record: SectorRecord, now: datetime) -> dict[str, object]:
    return {
        "symbol": record.symbol,
        "sector": record.sector,
        "industry": record.industry,
        "updated_at": now,
    }

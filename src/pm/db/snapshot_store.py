"""The `portfolio_snapshots` table: points in time of an account, and its peak equity."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Float, insert, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import Row

from pm.db.queries import newest_first
from pm.db.tables import DECIMAL_POSITION_FIELDS, POSITION_FIELDS
from pm.db.tables import portfolio_snapshots as snapshots_t
from pm.db.transactions import Transactions, ensure_account
from pm.domain.models import Position, Source, SourceType
from pm.domain.portfolio import Snapshot

SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "equity",
    "last_equity",
    "cash",
    "buying_power",
    "long_market_value",
    "short_market_value",
    "daily_pl",
    "daily_pl_pct",
    "unrealized_pl",
    "realized_pl",
    "realized_pl_available",
    "total_pl",
    "positions_count",
    "long_count",
    "short_count",
)
# SQLite stores decimals as TEXT: order by their float value, then decide among the top few
# in Decimal, so a near-tie that float cannot separate still picks the true maximum.
_PEAK_CANDIDATES = 8


def _composition_item(position: Position) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name in POSITION_FIELDS:
        value = getattr(position, name)
        item[name] = str(value) if name in DECIMAL_POSITION_FIELDS else value
    return item


def _position_from_composition(item: dict[str, Any]) -> Position:
    values: dict[str, Any] = {
        name: Decimal(item[name]) if name in DECIMAL_POSITION_FIELDS else item[name]
        for name in POSITION_FIELDS
    }
    return Position(**values)


def _snapshot_from_row(row: Row[Any]) -> Snapshot:
    data = row._mapping
    taken_at: datetime = data["taken_at"]
    source = Source(
        type=cast(SourceType, data["source_type"]), broker=data["broker"], fetched_at=taken_at
    )
    return Snapshot(
        account_id=data["account_id"],
        **{name: data[name] for name in SNAPSHOT_COLUMNS},
        timestamp=taken_at,
        source=source,
        positions=tuple(_position_from_composition(item) for item in data["composition"]),
    )


class SqlSnapshotStore(Transactions):
    """Implements `pm.ports.SnapshotStore`."""

    def save(self, snapshot: Snapshot) -> None:
        row = {
            "account_id": snapshot.account_id,
            "taken_at": snapshot.timestamp,
            **{name: getattr(snapshot, name) for name in SNAPSHOT_COLUMNS},
            "source_type": snapshot.source.type,
            "broker": snapshot.source.broker,
            "composition": [_composition_item(p) for p in snapshot.positions],
        }
        with self.write() as conn:
            ensure_account(conn, snapshot.account_id, snapshot.timestamp, snapshot.source.broker)
            conn.execute(insert(snapshots_t), [row])

    def latest(self, account_id: str) -> Snapshot | None:
        found = self.history(account_id, since=None, limit=1)
        return found[0] if found else None

    def history(
        self, account_id: str, *, since: datetime | None, limit: int | None
    ) -> list[Snapshot]:
        query = newest_first(snapshots_t, "taken_at", account_id, since=since, limit=limit)
        with self.read() as conn:
            rows = conn.execute(query).all()
        return [_snapshot_from_row(row) for row in rows]

    def peak_equity(self, account_id: str) -> Decimal | None:
        with self.read() as conn:
            equity = snapshots_t.c.equity
            order = sql_cast(equity, Float) if conn.dialect.name == "sqlite" else equity
            values = conn.execute(
                select(equity)
                .where(snapshots_t.c.account_id == account_id)
                .order_by(order.desc())
                .limit(_PEAK_CANDIDATES)
            ).scalars()
            candidates = [Decimal(v) for v in values]
        return max(candidates) if candidates else None

"""The SQL implementations of the `Repository` and `DemoStore` ports.

Every public method is one transaction (SQLite: ``BEGIN IMMEDIATE`` for writes, so a writer
never fails half-way on a lock upgrade); an exception inside rolls it back, and SQLAlchemy or
driver errors come out as `DatabaseError` with the URL's password masked. Statements are
SQLAlchemy Core on the mapped tables: bulk writes are ``executemany`` batches, not one ORM
round trip per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Insert, Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine, Row

from pm.db.errors import translated
from pm.db.migrate import SQLITE_BEGIN_OPTION
from pm.db.models import (
    AccountRow,
    DemoAccountRow,
    DemoHoldingRow,
    DemoOrderRow,
    PositionRow,
    SnapshotRow,
)
from pm.db.queries import newest_first
from pm.domain.errors import DatabaseError
from pm.domain.models import Order, OrderSide, Position, Source, SourceType
from pm.domain.portfolio import Snapshot
from pm.ports import DemoHolding, DemoState, PositionSync

POSITION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Position))
DECIMAL_POSITION_FIELDS = frozenset(
    f.name for f in fields(Position) if f.type in ("Decimal", Decimal)
)
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

accounts = cast(Table, AccountRow.__table__)
positions_t = cast(Table, PositionRow.__table__)
snapshots_t = cast(Table, SnapshotRow.__table__)
demo_accounts = cast(Table, DemoAccountRow.__table__)
demo_holdings = cast(Table, DemoHoldingRow.__table__)
demo_orders = cast(Table, DemoOrderRow.__table__)


class _Transactions:
    """One connection and one transaction per call, errors translated."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Connection]:
        with translated(self._engine.url), self._engine.connect() as conn:
            if write and conn.dialect.name == "sqlite":
                conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                yield conn

    def _read(self) -> AbstractContextManager[Connection]:
        return self._transaction(write=False)

    def _write(self) -> AbstractContextManager[Connection]:
        return self._transaction(write=True)


def _upsert_insert(conn: Connection) -> Any:
    """The dialect's ``insert`` that supports ``ON CONFLICT``."""
    name = conn.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise DatabaseError(f"database backend {name!r} is not supported (use SQLite or PostgreSQL)")


def _ensure_account(
    conn: Connection, account_id: str, now: datetime, broker: str | None = None
) -> None:
    """Make sure the account row exists (every stored row references one)."""
    stmt: Insert = _upsert_insert(conn)(accounts).values(
        account_id=account_id, broker=broker, created_at=now, last_seen_at=now
    )
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["account_id"]))  # type: ignore[attr-defined]
    if broker is not None:
        conn.execute(
            update(accounts)
            .where(accounts.c.account_id == account_id, accounts.c.broker.is_(None))
            .values(broker=broker)
        )


def _position_values(position: Position) -> dict[str, Any]:
    return {name: getattr(position, name) for name in POSITION_FIELDS}


def _composition_item(position: Position) -> dict[str, Any]:
    return {
        name: str(value) if name in DECIMAL_POSITION_FIELDS else value
        for name, value in _position_values(position).items()
    }


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


class SqlRepository(_Transactions):
    """The local book on SQLite or PostgreSQL; implements `pm.ports.Repository`."""

    def register_account(self, account_id: str, broker_identity: str, now: datetime) -> None:
        with self._write() as conn:
            # An identity reaches one account; if it used to reach another, forget that.
            conn.execute(
                update(accounts)
                .where(
                    accounts.c.broker_identity == broker_identity,
                    accounts.c.account_id != account_id,
                )
                .values(broker_identity=None)
            )
            stmt = _upsert_insert(conn)(accounts).values(
                account_id=account_id,
                broker_identity=broker_identity,
                created_at=now,
                last_seen_at=now,
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["account_id"],
                    set_={"broker_identity": broker_identity, "last_seen_at": now},
                )
            )

    def account_for(self, broker_identity: str) -> str | None:
        with self._read() as conn:
            value = conn.execute(
                select(accounts.c.account_id).where(accounts.c.broker_identity == broker_identity)
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def realized_pl(self, account_id: str) -> Decimal | None:
        # Summed here, not in SQL: SQLite keeps decimals as text and would sum through floats.
        with self._read() as conn:
            values = conn.execute(
                select(positions_t.c.realized_pl).where(
                    positions_t.c.account_id == account_id,
                    positions_t.c.closed_at.is_not(None),
                    positions_t.c.realized_pl.is_not(None),
                )
            ).scalars()
            amounts = list(values)
        if not amounts:
            return None
        return sum(amounts, Decimal(0))

    def save_snapshot(self, snapshot: Snapshot) -> None:
        row = {
            "account_id": snapshot.account_id,
            "taken_at": snapshot.timestamp,
            **{name: getattr(snapshot, name) for name in SNAPSHOT_COLUMNS},
            "source_type": snapshot.source.type,
            "broker": snapshot.source.broker,
            "composition": [_composition_item(p) for p in snapshot.positions],
        }
        with self._write() as conn:
            _ensure_account(conn, snapshot.account_id, snapshot.timestamp, snapshot.source.broker)
            conn.execute(insert(snapshots_t), [row])

    def latest_snapshot(self, account_id: str) -> Snapshot | None:
        found = self.snapshots(account_id, since=None, limit=1)
        return found[0] if found else None

    def snapshots(
        self, account_id: str, *, since: datetime | None, limit: int | None
    ) -> list[Snapshot]:
        query = newest_first(snapshots_t, "taken_at", account_id, since=since, limit=limit)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [_snapshot_from_row(row) for row in rows]

    def sync_positions(
        self, account_id: str, positions: Sequence[Position], now: datetime
    ) -> PositionSync:
        # The broker's view, one entry per symbol (a repeated symbol: the last one wins).
        wanted = {p.symbol: _position_values(p) for p in positions}
        with self._write() as conn:
            _ensure_account(conn, account_id, now)
            open_rows = {
                row.symbol: row
                for row in conn.execute(
                    select(
                        positions_t.c.id, *(positions_t.c[name] for name in POSITION_FIELDS)
                    ).where(
                        positions_t.c.account_id == account_id,
                        positions_t.c.closed_at.is_(None),
                    )
                )
            }
            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            unchanged = 0
            for symbol, values in wanted.items():
                current = open_rows.get(symbol)
                if current is None:
                    inserts.append(
                        {**values, "account_id": account_id, "opened_at": now, "updated_at": now}
                    )
                elif any(getattr(current, name) != value for name, value in values.items()):
                    updates.append(
                        {"b_id": current.id, "b_updated_at": now}
                        | {f"b_{name}": value for name, value in values.items()}
                    )
                else:
                    unchanged += 1
            if inserts:
                conn.execute(insert(positions_t), inserts)
            if updates:
                stmt = (
                    update(positions_t)
                    .where(positions_t.c.id == bindparam("b_id"))
                    .values(
                        {name: bindparam(f"b_{name}") for name in (*POSITION_FIELDS, "updated_at")}
                    )
                )
                conn.execute(stmt, updates)
        return PositionSync(inserted=len(inserts), updated=len(updates), unchanged=unchanged)


def _order_row(account_id: str, order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "account_id": account_id,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "status": order.status,
        "qty": order.qty,
        "notional": order.notional,
        "filled_qty": order.filled_qty,
        "filled_avg_price": order.filled_avg_price,
        "submitted_at": order.submitted_at,
        "filled_at": order.filled_at,
    }


class SqlDemoStore(_Transactions):
    """The demo broker's state in the local database; implements `DemoStore`."""

    def load(self, account_id: str) -> DemoState | None:
        with self._read() as conn:
            cash = conn.execute(
                select(demo_accounts.c.cash).where(demo_accounts.c.account_id == account_id)
            ).scalar_one_or_none()
            if cash is None:
                return None
            rows = conn.execute(
                select(demo_holdings)
                .where(demo_holdings.c.account_id == account_id)
                .order_by(demo_holdings.c.symbol)
            ).all()
        holdings = {
            row.symbol: DemoHolding(
                symbol=row.symbol,
                asset_id=row.asset_id,
                asset_class=row.asset_class,
                qty=row.qty,
                avg_entry_price=row.avg_entry_price,
            )
            for row in rows
        }
        return DemoState(account_id=account_id, cash=cash, holdings=holdings)

    def save(self, book: DemoState, new_orders: Sequence[Order]) -> None:
        holdings = [
            {
                "account_id": book.account_id,
                "symbol": h.symbol,
                "asset_id": h.asset_id,
                "asset_class": h.asset_class,
                "qty": h.qty,
                "avg_entry_price": h.avg_entry_price,
            }
            for h in book.holdings.values()
        ]
        with self._write() as conn:
            upsert = _upsert_insert(conn)(demo_accounts).values(
                account_id=book.account_id, cash=book.cash
            )
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=["account_id"], set_={"cash": book.cash}
                )
            )
            conn.execute(delete(demo_holdings).where(demo_holdings.c.account_id == book.account_id))
            if holdings:
                conn.execute(insert(demo_holdings), holdings)
            if new_orders:
                rows = [_order_row(book.account_id, order) for order in new_orders]
                stmt = _upsert_insert(conn)(demo_orders)
                # An order saved again (its status moved on) replaces the stored one.
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["id"],
                        set_={
                            name: stmt.excluded[name]
                            for name in rows[0]
                            if name not in ("id", "account_id", "client_order_id")
                        },
                    ),
                    rows,
                )

    def find_order(self, account_id: str, client_order_id: str) -> Order | None:
        with self._read() as conn:
            row = conn.execute(
                select(demo_orders).where(
                    demo_orders.c.account_id == account_id,
                    demo_orders.c.client_order_id == client_order_id,
                )
            ).one_or_none()
        return None if row is None else _order_of(row)

    def fills_since(self, account_id: str, since: datetime) -> list[Order]:
        with self._read() as conn:
            rows = conn.execute(
                select(demo_orders)
                .where(demo_orders.c.account_id == account_id, demo_orders.c.filled_at >= since)
                .order_by(demo_orders.c.filled_at)
            ).all()
        return [_order_of(row) for row in rows]

    def reset(self, account_id: str) -> None:
        with self._write() as conn:
            for table in (demo_orders, demo_holdings, demo_accounts):
                conn.execute(delete(table).where(table.c.account_id == account_id))


def _order_of(row: Row[Any]) -> Order:
    return Order(
        id=row.id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=cast(OrderSide, row.side),
        type=row.type,
        status=row.status,
        qty=row.qty,
        notional=row.notional,
        filled_qty=row.filled_qty,
        filled_avg_price=row.filled_avg_price,
        submitted_at=row.submitted_at,
        filled_at=row.filled_at,
    )


__all__ = ["SqlDemoStore", "SqlRepository"]


if TYPE_CHECKING:
    from pm.ports import DemoStore, Repository

    def _implements_the_ports(engine: Engine) -> tuple[Repository, DemoStore]:
        return SqlRepository(engine), SqlDemoStore(engine)

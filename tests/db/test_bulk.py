"""The bulk path (`pm.db.bulk`: stored forms once per batch, ``executemany`` with tuples)
writes exactly what SQLAlchemy's per-row path (every value through `DecimalType` and
`UTCDateTime`) writes, compared as the raw stored values, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, update

from pm.db.engine import Database
from pm.db.reconcile_store import SqlReconcileStore
from pm.db.tables import POSITION_FIELDS, position_column, position_conflicts, positions
from pm.domain.models import Position
from pm.domain.reconcile import BROKER_WINS, Conflict, ReconcileDiff, RunRecord
from tests.db.test_types import decimals
from tests.support.clocks import T0, FakeClock

STORED = (
    "symbol, asset_id, quantity, side, asset_class, entry_price, current_price, market_value,"
    " cost_basis, unrealized_pnl, unrealized_pl_pct, strategy_id, opened_at, entry_time,"
    " updated_at, closed_at, realized_pl"
)
CONFLICT_STORED = (
    "symbol, field, db_value, broker_value, resolution, resolved, detected_at, resolved_at"
)
_accounts = itertools.count()


@pytest.fixture(scope="module")
def db(module_database: Database) -> Database:
    return module_database


def positions_of(values: Sequence[tuple[Decimal, ...]]) -> list[Position]:
    return [
        Position(
            asset_id=f"asset-{i}",
            symbol=f"S{i:04d}",
            qty=v[0],
            side="long" if v[0] >= 0 else "short",
            asset_class="us_equity",
            avg_entry_price=v[1],
            current_price=v[2],
            market_value=v[3],
            cost_basis=v[4],
            unrealized_pl=v[5],
            unrealized_pl_pct=v[6],
        )
        for i, v in enumerate(values)
    ]


def stored(db: Database, table: str, columns: str, account: str) -> list[tuple[Any, ...]]:
    """The rows as the driver returns them (no column types: the stored form itself)."""
    with db.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql(
                f"SELECT {columns} FROM {table} WHERE account_id = '{account}' ORDER BY symbol"
            )
        ]


def per_row_insert(db: Database, account: str, rows: list[Position]) -> None:
    """SQLAlchemy's per-row path: one INSERT a row, every value through its column type."""
    with db.engine.begin() as conn:
        for p in rows:
            values = {position_column(f): getattr(p, f) for f in POSITION_FIELDS}
            conn.execute(
                insert(positions).values(
                    **values,
                    account_id=account,
                    strategy_id=None,
                    opened_at=T0,
                    entry_time=T0,
                    updated_at=T0,
                )
            )


def per_row_conflicts(db: Database, account: str, old: list[Position], new: list[Position]) -> None:
    with db.engine.begin() as conn:
        ids = dict(
            conn.execute(
                positions.select()
                .with_only_columns(positions.c.symbol, positions.c.id)
                .where(positions.c.account_id == account)
            ).all()
        )
        for before, after in zip(old, new, strict=True):
            conn.execute(
                insert(position_conflicts).values(
                    account_id=account,
                    run_id=None,
                    symbol=after.symbol,
                    field="qty",
                    db_value=before.qty,
                    broker_value=after.qty,
                    resolution=BROKER_WINS,
                    resolved=True,
                    detected_at=T0,
                    resolved_at=T0,
                )
            )
            values = {
                position_column(f): getattr(after, f) for f in POSITION_FIELDS if f != "symbol"
            }
            conn.execute(
                update(positions)
                .where(positions.c.id == ids[after.symbol])
                .values(**values, updated_at=T0)
            )


def bulk_apply(db: Database, account: str, changes: ReconcileDiff) -> None:
    store = SqlReconcileStore(db.engine)
    run = RunRecord(None, account, "completed", "forced", T0, 0)
    store.apply(run, changes, FakeClock(T0))


rows_of_decimals = st.lists(st.tuples(*[decimals] * 7), min_size=1, max_size=12)


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=rows_of_decimals, second=rows_of_decimals)
def test_bulk_writes_what_the_per_row_path_writes(
    db: Database, first: list[tuple[Decimal, ...]], second: list[tuple[Decimal, ...]]
) -> None:
    n = next(_accounts)
    bulk, per_row = f"bulk-{n}", f"row-{n}"
    db.repository().accounts.register_account(bulk, f"k-{bulk}", T0)
    db.repository().accounts.register_account(per_row, f"k-{per_row}", T0)
    old = positions_of(first)
    bulk_apply(db, bulk, ReconcileDiff(added=tuple(old)))
    per_row_insert(db, per_row, old)
    assert stored(db, "positions", STORED, bulk) == stored(db, "positions", STORED, per_row)

    # Every row gets new values as a conflict (a qty change): conflict records and updates.
    new = positions_of((second * len(old))[: len(old)])
    book = SqlReconcileStore(db.engine).open_book(bulk)
    conflicts = tuple(
        Conflict(row.id, p.symbol, row.qty, p.qty, p)
        for row, p in zip(sorted(book, key=lambda r: r.symbol), new, strict=True)
    )
    bulk_apply(db, bulk, ReconcileDiff(conflicts=conflicts))
    per_row_conflicts(db, per_row, old, new)
    assert stored(db, "positions", STORED, bulk) == stored(db, "positions", STORED, per_row)
    assert stored(db, "position_conflicts", CONFLICT_STORED, bulk) == stored(
        db, "position_conflicts", CONFLICT_STORED, per_row
    )


def test_bulk_refuses_what_the_column_type_refuses(db: Database) -> None:
    account = f"nan-{next(_accounts)}"
    db.repository().accounts.register_account(account, f"k-{account}", T0)
    [bad] = positions_of([(Decimal(1), Decimal("NaN"), *[Decimal(1)] * 5)])
    with pytest.raises(ValueError, match="not a finite number"):
        bulk_apply(db, account, ReconcileDiff(added=(bad,)))
    assert stored(db, "positions", STORED, account) == []

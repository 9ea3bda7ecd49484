"""Reconciliation runs and conflict records; implements `pm.ports.ReconcileStore`.

`SqlReconcileStore.apply` writes a whole reconciliation (positions closed, added, corrected,
repriced; conflict records; the run record) in ONE transaction with set-based statements
(``executemany`` batches and ``IN`` lists, never one ORM round trip per row): a failure
anywhere leaves the database exactly as it was. The per-account lock is `pm.db.reconcile_lock`.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection, Engine

from pm.db.queries import insert_one, newest_first
from pm.db.reconcile_lock import reconcile_lock
from pm.db.rows import records
from pm.db.tables import position_column
from pm.db.tables import position_conflicts as conflicts_t
from pm.db.tables import positions as positions_t
from pm.db.tables import reconciliation_runs as runs_t
from pm.db.transactions import Transactions, ensure_account
from pm.domain.models import Position
from pm.domain.reconcile import (
    BROKER_WINS,
    BookPosition,
    ConflictRecord,
    ReconcileDiff,
    RunRecord,
    RunStatus,
    Trigger,
    elapsed_ms,
)
from pm.ports import Clock, Progress

POSITION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Position))
#: Rows per batch: also how often the progress callback hears about it.
CHUNK = 2000
#: Everything a broker position sets on a book row when the book takes the broker's view.
PRICE_FIELDS: tuple[str, ...] = (
    "avg_entry_price",
    "current_price",
    "market_value",
    "cost_basis",
    "unrealized_pl",
    "unrealized_pl_pct",
)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Progress:
    def __init__(self, total: int, report: Progress | None) -> None:
        self.done, self.total, self._report = 0, total, report

    def advance(self, n: int) -> None:
        self.done += n
        if self._report is not None:
            self._report(self.done, self.total)


def _run_values(run: RunRecord) -> dict[str, Any]:
    return {
        "account_id": run.account_id,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": run.duration_ms,
        "added": run.added,
        "removed": run.removed,
        "updated": run.updated,
        "conflicts": run.conflicts,
        "error": run.error,
        "host": run.host,
        "pid": run.pid,
    }


def _run_from_row(row: Any) -> RunRecord:
    return RunRecord(
        run_id=row.id,
        account_id=row.account_id,
        status=cast(RunStatus, row.status),
        trigger=cast(Trigger, row.trigger),
        started_at=row.started_at,
        duration_ms=row.duration_ms or 0,
        added=row.added,
        removed=row.removed,
        updated=row.updated,
        conflicts=row.conflicts,
        error=row.error,
        finished_at=row.finished_at,
        host=row.host,
        pid=row.pid,
    )


# -- the steps of applying a diff (module functions, so a test can break one midway) ---------


def _close_removed(
    conn: Connection, ids: Sequence[int], now: datetime, progress: _Progress
) -> None:
    for chunk in _chunks(ids):
        conn.execute(
            update(positions_t)
            .where(positions_t.c.id.in_(chunk), positions_t.c.closed_at.is_(None))
            .values(closed_at=now, updated_at=now)
        )
        progress.advance(len(chunk))


def _insert_added(
    conn: Connection,
    account_id: str,
    added: Sequence[Position],
    now: datetime,
    progress: _Progress,
) -> None:
    for chunk in _chunks(added):
        rows = [
            {
                **{position_column(name): getattr(p, name) for name in POSITION_FIELDS},
                "account_id": account_id,
                "strategy_id": None,
                "opened_at": now,
                "entry_time": now,
                "updated_at": now,
            }
            for p in chunk
        ]
        conn.execute(insert(positions_t), rows)
        progress.advance(len(chunk))


def _update_rows(
    conn: Connection,
    fields: Sequence[str],
    pairs: Sequence[tuple[int, Position]],
    now: datetime,
    progress: _Progress,
) -> None:
    stmt = (
        update(positions_t)
        .where(positions_t.c.id == bindparam("b_id"))
        .values({position_column(name): bindparam(f"b_{name}") for name in (*fields, "updated_at")})
    )
    for chunk in _chunks(pairs):
        params = [
            {"b_id": row_id, "b_updated_at": now}
            | {f"b_{name}": getattr(position, name) for name in fields}
            for row_id, position in chunk
        ]
        conn.execute(stmt, params)
        progress.advance(len(chunk))


def _resolve_conflicts(
    conn: Connection, run: RunRecord, changes: ReconcileDiff, now: datetime, progress: _Progress
) -> None:
    """Record each conflict (broker wins, resolved) and give the row the broker's values."""
    if not changes.conflicts:
        return
    records = [
        {
            "account_id": run.account_id,
            "run_id": run.run_id,
            "symbol": c.symbol,
            "field": "qty",
            "db_value": c.db_qty,
            "broker_value": c.broker_qty,
            "resolution": BROKER_WINS,
            "resolved": True,
            "detected_at": now,
            "resolved_at": now,
        }
        for c in changes.conflicts
    ]
    for chunk in _chunks(records):
        conn.execute(insert(conflicts_t), list(chunk))
    fields = tuple(name for name in POSITION_FIELDS if name != "symbol")
    pairs = [(c.position_id, c.broker) for c in changes.conflicts]
    _update_rows(conn, fields, pairs, now, progress)


def _update_prices(
    conn: Connection, changes: ReconcileDiff, now: datetime, progress: _Progress
) -> None:
    pairs = [(u.position_id, u.broker) for u in changes.updated]
    _update_rows(conn, PRICE_FIELDS, pairs, now, progress)


class SqlReconcileStore(Transactions):
    """Implements `pm.ports.ReconcileStore` on SQLite and PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.host = socket.gethostname()

    def lock(self, account_id: str, wait_s: float = 0) -> AbstractContextManager[bool]:
        return reconcile_lock(self.engine, account_id, wait_s)

    def is_running(self, account_id: str) -> bool:
        with self.lock(account_id, 0) as got:
            return not got

    # -- reads ---------------------------------------------------------------------------

    def last_completed_at(self, account_id: str) -> datetime | None:
        query = (
            select(runs_t.c.started_at)
            .where(runs_t.c.account_id == account_id, runs_t.c.status == "completed")
            .order_by(runs_t.c.started_at.desc())
            .limit(1)
        )
        with self.read() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return cast(datetime | None, value)

    def open_book(self, account_id: str) -> list[BookPosition]:
        query = select(
            positions_t.c.id,
            positions_t.c.symbol,
            positions_t.c.quantity,
            positions_t.c.entry_price,
            positions_t.c.current_price,
        ).where(positions_t.c.account_id == account_id, positions_t.c.closed_at.is_(None))
        with self.read() as conn:
            rows = conn.execute(query).all()
        return [BookPosition(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def runs(
        self, account_id: str, *, since: datetime | None = None, limit: int | None = None
    ) -> list[RunRecord]:
        query = newest_first(runs_t, "started_at", account_id, since=since, limit=limit)
        with self.read() as conn:
            return [_run_from_row(row) for row in conn.execute(query)]

    def conflicts(
        self, account_id: str, *, since: datetime | None = None, limit: int | None = None
    ) -> list[ConflictRecord]:
        query = newest_first(conflicts_t, "detected_at", account_id, since=since, limit=limit)
        with self.read() as conn:
            rows = conn.execute(query).all()
        return records(ConflictRecord, rows)

    # -- writes --------------------------------------------------------------------------

    def _insert_run(self, conn: Connection, run: RunRecord) -> RunRecord:
        run = replace(run, host=run.host or self.host, pid=run.pid or os.getpid())
        ensure_account(conn, run.account_id, run.started_at)
        return replace(run, run_id=insert_one(conn, insert(runs_t).values(_run_values(run))))

    def save_run(self, run: RunRecord) -> RunRecord:
        with self.write() as conn:
            return self._insert_run(conn, run)

    def apply(
        self,
        run: RunRecord,
        changes: ReconcileDiff,
        clock: Clock,
        progress: Progress | None = None,
    ) -> RunRecord:
        run = replace(
            run,
            status="completed",
            added=len(changes.added),
            removed=len(changes.removed),
            updated=len(changes.updated),
            conflicts=len(changes.conflicts),
            error=None,
        )
        counter = _Progress(changes.changes, progress)
        with self.write() as conn:
            now = clock.now()
            run = self._insert_run(conn, run)
            _close_removed(conn, [r.id for r in changes.removed], now, counter)
            _insert_added(conn, run.account_id, changes.added, now, counter)
            _resolve_conflicts(conn, run, changes, now, counter)
            _update_prices(conn, changes, now, counter)
            finished = clock.now()
            run = replace(
                run, finished_at=finished, duration_ms=elapsed_ms(run.started_at, finished)
            )
            conn.execute(
                update(runs_t)
                .where(runs_t.c.id == run.run_id)
                .values(finished_at=run.finished_at, duration_ms=run.duration_ms)
            )
        return run

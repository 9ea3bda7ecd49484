"""Reconciliation runs, conflict records, the per-account lock, and `pm watch`'s job rows.

`SqlReconcileStore.apply` writes a whole reconciliation (positions closed, added, corrected,
repriced; conflict records; the run record) in ONE transaction with set-based statements
(``executemany`` batches and ``IN`` lists, never one ORM round trip per row): a failure
anywhere leaves the database exactly as it was.

The lock that keeps reconciliations of one account from overlapping, across processes and
hosts:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``; with a wait,
  ``pg_advisory_lock`` under ``lock_timeout``) on a connection held for the whole run. If the
  process dies, its session ends and the lock goes with it.
- SQLite: SQLite's own write lock (``BEGIN IMMEDIATE`` with a busy timeout of the wait) on a
  small side file next to the database, one per account (``pm.db.reconcile-<hash>.lock``),
  so that holding it never blocks other writers of the book. The OS drops it with the
  process. An in-memory database (one process by definition) uses a process-local lock.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, or_, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from pm.db.errors import translated
from pm.db.models import JobRow, PositionConflictRow, PositionRow, ReconciliationRunRow
from pm.db.queries import insert_one, newest_first
from pm.db.repository import POSITION_FIELDS, _ensure_account, _Transactions, _upsert_insert
from pm.db.rows import records
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
from pm.ports import Clock, JobState, Progress

positions_t = cast(Table, PositionRow.__table__)
runs_t = cast(Table, ReconciliationRunRow.__table__)
conflicts_t = cast(Table, PositionConflictRow.__table__)
jobs_t = cast(Table, JobRow.__table__)

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
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout expires

_memory_locks: dict[tuple[int, str], threading.Lock] = {}
_memory_locks_guard = threading.Lock()


def lock_key(account_id: str) -> int:
    """The account's advisory lock key: a signed 64-bit hash of a namespaced id."""
    digest = hashlib.blake2b(f"pm-reconcile:{account_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


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
                **{name: getattr(p, name) for name in POSITION_FIELDS},
                "account_id": account_id,
                "strategy_id": None,
                "opened_at": now,
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
        .values({name: bindparam(f"b_{name}") for name in (*fields, "updated_at")})
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


class SqlReconcileStore(_Transactions):
    """Implements `pm.ports.ReconcileStore` on SQLite and PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.host = socket.gethostname()

    # -- the lock ------------------------------------------------------------------------

    @contextmanager
    def lock(self, account_id: str, wait_s: float = 0) -> Iterator[bool]:
        backend = self.engine.dialect.name
        if backend == "postgresql":
            with self._pg_lock(lock_key(account_id), wait_s) as got:
                yield got
            return
        path = self._sqlite_lock_path(account_id)
        if path is None:
            with self._memory_lock(account_id, wait_s) as got:
                yield got
            return
        with self._file_lock(path, wait_s) as got:
            yield got

    def is_running(self, account_id: str) -> bool:
        with self.lock(account_id, 0) as got:
            return not got

    @contextmanager
    def _pg_lock(self, key: int, wait_s: float) -> Iterator[bool]:
        with translated(self.engine.url, "reconciliation lock"):
            conn = self.engine.connect()
        got = False
        try:
            with translated(self.engine.url, "reconciliation lock"):
                got = bool(
                    conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
                )
                conn.commit()
                if not got and wait_s > 0:
                    got = self._pg_wait(conn, key, wait_s)
            yield got
        finally:
            try:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
            except DBAPIError:
                conn.invalidate()  # closing the session releases the lock for sure
            finally:
                conn.close()

    @staticmethod
    def _pg_wait(conn: Connection, key: int, wait_s: float) -> bool:
        timeout = f"{max(1, int(wait_s * 1000))}ms"
        conn.execute(text("SELECT set_config('lock_timeout', :t, false)"), {"t": timeout})
        try:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            got = True
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            conn.rollback()
            got = False
        conn.execute(text("SELECT set_config('lock_timeout', '0', false)"))
        conn.commit()
        return got

    def _sqlite_lock_path(self, account_id: str) -> Path | None:
        database = self.engine.url.database or ""
        if database in ("", ":memory:") or self.engine.url.query.get("mode") == "memory":
            return None
        digest = hashlib.blake2b(account_id.encode(), digest_size=6).hexdigest()
        return (
            Path(database).expanduser().with_name(f"{Path(database).name}.reconcile-{digest}.lock")
        )

    @contextmanager
    def _file_lock(self, path: Path, wait_s: float) -> Iterator[bool]:
        with translated(self.engine.url, "reconciliation lock"):
            conn = sqlite3.connect(path, timeout=max(0.0, wait_s), isolation_level=None)
        try:
            try:
                conn.execute("BEGIN IMMEDIATE")
                got = True
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                got = False
            yield got
        finally:
            conn.close()  # ends the transaction: the lock is released

    @contextmanager
    def _memory_lock(self, account_id: str, wait_s: float) -> Iterator[bool]:
        with _memory_locks_guard:
            lock = _memory_locks.setdefault((id(self.engine), account_id), threading.Lock())
        got = lock.acquire(timeout=wait_s) if wait_s > 0 else lock.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                lock.release()

    # -- reads ---------------------------------------------------------------------------

    def last_completed_at(self, account_id: str) -> datetime | None:
        query = (
            select(runs_t.c.started_at)
            .where(runs_t.c.account_id == account_id, runs_t.c.status == "completed")
            .order_by(runs_t.c.started_at.desc())
            .limit(1)
        )
        with self._read() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return cast(datetime | None, value)

    def open_book(self, account_id: str) -> list[BookPosition]:
        query = select(
            positions_t.c.id,
            positions_t.c.symbol,
            positions_t.c.qty,
            positions_t.c.avg_entry_price,
            positions_t.c.current_price,
        ).where(positions_t.c.account_id == account_id, positions_t.c.closed_at.is_(None))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [BookPosition(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def runs(
        self, account_id: str, *, since: datetime | None = None, limit: int | None = None
    ) -> list[RunRecord]:
        query = newest_first(runs_t, "started_at", account_id, since=since, limit=limit)
        with self._read() as conn:
            return [_run_from_row(row) for row in conn.execute(query)]

    def conflicts(
        self, account_id: str, *, since: datetime | None = None, limit: int | None = None
    ) -> list[ConflictRecord]:
        query = newest_first(conflicts_t, "detected_at", account_id, since=since, limit=limit)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return records(ConflictRecord, rows)

    # -- writes --------------------------------------------------------------------------

    def _insert_run(self, conn: Connection, run: RunRecord) -> RunRecord:
        run = replace(run, host=run.host or self.host, pid=run.pid or os.getpid())
        _ensure_account(conn, run.account_id, run.started_at)
        return replace(run, run_id=insert_one(conn, insert(runs_t).values(_run_values(run))))

    def save_run(self, run: RunRecord) -> RunRecord:
        with self._write() as conn:
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
        with self._write() as conn:
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


class SqlJobStore(_Transactions):
    """Implements `pm.ports.JobStore`: the `jobs` table shared by every `pm watch`."""

    def claim(self, account_id: str, name: str, interval_s: int, now: datetime) -> bool:
        cutoff = now - timedelta(seconds=interval_s)
        with self._write() as conn:
            _ensure_account(conn, account_id, now)
            stmt = _upsert_insert(conn)(jobs_t).values(
                account_id=account_id, name=name, interval_s=interval_s
            )
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["account_id", "name"]))
            # One UPDATE decides: concurrent claimers serialize on the row and re-check.
            result = conn.execute(
                update(jobs_t)
                .where(
                    jobs_t.c.account_id == account_id,
                    jobs_t.c.name == name,
                    or_(
                        jobs_t.c.last_run_at.is_(None),
                        jobs_t.c.last_status == "failed",
                        jobs_t.c.last_run_at <= cutoff,
                    ),
                )
                .values(
                    last_run_at=now, last_status="running", last_error=None, interval_s=interval_s
                )
            )
            return result.rowcount == 1

    def finish(self, account_id: str, name: str, status: str, error: str | None) -> None:
        with self._write() as conn:
            conn.execute(
                update(jobs_t)
                .where(jobs_t.c.account_id == account_id, jobs_t.c.name == name)
                .values(last_status=status, last_error=error)
            )

    def jobs(self, account_id: str) -> list[JobState]:
        with self._read() as conn:
            rows = conn.execute(
                select(jobs_t).where(jobs_t.c.account_id == account_id).order_by(jobs_t.c.name)
            ).all()
        return records(JobState, rows)


__all__ = ["SqlJobStore", "SqlReconcileStore", "lock_key"]

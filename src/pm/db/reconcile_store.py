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
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from itertools import repeat
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from pm.db.bulk import StoredForm, executemany
from pm.db.queries import chunks, insert_one, newest_first
from pm.db.reconcile_lock import reconcile_lock
from pm.db.rows import records
from pm.db.tables import DECIMAL_POSITION_FIELDS, position_column
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
    StoredBook,
    Trigger,
    elapsed_ms,
)
from pm.ports import Clock, Progress

#: Rows per batch: also how often the progress callback hears about it.
CHUNK = 2000
#: What a broker position sets on a book row (record fields); BROKER_COLUMNS are their columns.
#: A conflict (a different quantity) sets them all; a new price the last six (PRICE_FIELDS).
BROKER_FIELDS: tuple[str, ...] = (
    "asset_id",
    "qty",
    "side",
    "asset_class",
    "avg_entry_price",
    "current_price",
    "market_value",
    "cost_basis",
    "unrealized_pl",
    "unrealized_pl_pct",
)
PRICE_FIELDS = BROKER_FIELDS[4:]
BROKER_COLUMNS: tuple[str, ...] = tuple(position_column(f) for f in BROKER_FIELDS)
#: An added row: the broker's position, then what the book adds.
ADDED_COLUMNS: tuple[str, ...] = (
    "symbol",
    *BROKER_COLUMNS,
    "account_id",
    "strategy_id",
    "opened_at",
    "entry_time",
    "updated_at",
)
#: The numbers of an open book row the diff compares (quantity, entry and current price).
_BOOK_NUMBERS = tuple(position_column(f) for f in ("qty", "avg_entry_price", "current_price"))
CONFLICT_COLUMNS: tuple[str, ...] = (
    "account_id",
    "run_id",
    "symbol",
    "field",
    "db_value",
    "broker_value",
    "resolution",
    "resolved",
    "detected_at",
    "resolved_at",
)


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


def _book_position(row: tuple[Any, ...]) -> BookPosition:
    return BookPosition(*row)


def _book_position_from_text(row: tuple[Any, ...]) -> BookPosition:
    i, symbol, qty, entry, price = row
    return BookPosition(i, symbol, Decimal(qty), Decimal(entry), Decimal(price))


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


class _Batch:
    """One apply's stored forms and statements, decided once: every row after that is a plain
    tuple for the driver's ``executemany`` (`pm.db.bulk`), built column by column."""

    def __init__(self, conn: Connection, now: datetime, progress: _Progress) -> None:
        self.conn, self.when, self.progress = conn, now, progress
        self.form = StoredForm(conn, positions_t)
        self.conflicts = StoredForm(conn, conflicts_t)
        self.now = self.form.value("updated_at", now)

    def columns(self, chunk: Sequence[Any], names: Sequence[str]) -> list[list[Any]]:
        """Each field of `names` over the chunk's records, as a column in stored form."""
        columns = []
        for name in names:
            column = list(map(attrgetter(name), chunk))
            columns.append(
                self.form.decimals(column) if name in DECIMAL_POSITION_FIELDS else column
            )
        return columns


def _close_removed(batch: _Batch, ids: Sequence[int]) -> None:
    for chunk in chunks(ids, CHUNK):
        batch.conn.execute(
            update(positions_t)
            .where(positions_t.c.id.in_(chunk), positions_t.c.closed_at.is_(None))
            .values(closed_at=batch.when, updated_at=batch.when)
        )
        batch.progress.advance(len(chunk))


def _insert_added(batch: _Batch, account_id: str, added: Sequence[Position]) -> None:
    statement = batch.form.insert(ADDED_COLUMNS)
    book = (repeat(account_id), repeat(None), *[repeat(batch.now)] * 3)  # strategy_id NULL
    for chunk in chunks(added, CHUNK):
        columns = batch.columns(chunk, ("symbol", *BROKER_FIELDS))
        rows = list(zip(*columns, *book, strict=False))  # book: endless repeats
        executemany(batch.conn, statement, rows)
        batch.progress.advance(len(chunk))


def _update_rows(
    batch: _Batch, names: Sequence[str], pairs: Sequence[tuple[int, Position]]
) -> None:
    """Give each row (by id) the broker position's fields `names`, and updated_at."""
    statement = batch.form.update((*map(position_column, names), "updated_at"), "id")
    for chunk in chunks(pairs, CHUNK):
        ids = [row_id for row_id, _ in chunk]
        columns = batch.columns([position for _, position in chunk], names)
        executemany(batch.conn, statement, list(zip(*columns, repeat(batch.now), ids)))
        batch.progress.advance(len(chunk))


def _resolve_conflicts(batch: _Batch, run: RunRecord, changes: ReconcileDiff) -> None:
    """Record each conflict (broker wins, resolved) and give the row the broker's values."""
    if not changes.conflicts:
        return
    form = batch.conflicts
    at, resolved = form.value("detected_at", batch.when), form.value("resolved", True)
    symbols = [c.symbol for c in changes.conflicts]
    db_values = form.decimals([c.db_qty for c in changes.conflicts])
    broker_values = form.decimals([c.broker_qty for c in changes.conflicts])
    records = list(
        zip(
            repeat(run.account_id),
            repeat(run.run_id),
            symbols,
            repeat("qty"),
            db_values,
            broker_values,
            repeat(BROKER_WINS),
            repeat(resolved),
            repeat(at),
            repeat(at),
        )
    )
    statement = form.insert(CONFLICT_COLUMNS)
    for chunk in chunks(records, CHUNK):
        executemany(batch.conn, statement, chunk)
    pairs = [(c.position_id, c.broker) for c in changes.conflicts]
    _update_rows(batch, BROKER_FIELDS, pairs)


def _update_prices(batch: _Batch, changes: ReconcileDiff) -> None:
    pairs = [(u.position_id, u.broker) for u in changes.updated]
    _update_rows(batch, PRICE_FIELDS, pairs)


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
        return list(self.stream_open_book(account_id))

    def stream_open_book(self, account_id: str, chunk: int = CHUNK) -> Iterator[BookPosition]:
        """The open book, `chunk` rows at a time (`stored_open_book`'s rows made records)."""
        book = self.stored_open_book(account_id, chunk)
        for rows in book.chunks:
            yield from map(book.record, rows)

    def stored_open_book(self, account_id: str, chunk: int = CHUNK) -> StoredBook:
        """The open book as the driver returns it, `chunk` rows at a time, through the driver's
        cursor (a server-side one on PostgreSQL): no SQLAlchemy row or column type per value.
        SQLite stores the three numbers as their exact text (`DecimalType`: ``str`` of the
        Decimal), which `record` makes Decimals; psycopg returns NUMERIC as Decimals."""
        sqlite = self.engine.dialect.name == "sqlite"
        return StoredBook(
            chunks=self._open_book_rows(account_id, chunk),
            stored=str if sqlite else None,
            record=_book_position_from_text if sqlite else _book_position,
        )

    def _open_book_rows(self, account_id: str, chunk: int) -> Iterator[Sequence[tuple[Any, ...]]]:
        with self.read() as conn:
            form = StoredForm(conn, positions_t)
            names = ", ".join(map(form.quote, ("id", "symbol", *_BOOK_NUMBERS)))
            statement = (
                f"SELECT {names} FROM {form.quote(positions_t.name)} WHERE "
                f"{form.quote('account_id')} = {form.mark} AND {form.quote('closed_at')} IS NULL"
            )
            driver = conn.connection.dbapi_connection
            assert driver is not None
            cursor = driver.cursor() if form.sqlite else driver.cursor(name="pm_open_book")
            try:
                cursor.execute(statement, (account_id,))
                while rows := cursor.fetchmany(chunk):
                    yield rows
            finally:
                cursor.close()

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
            batch = _Batch(conn, now, counter)
            _close_removed(batch, [r.id for r in changes.removed])
            _insert_added(batch, run.account_id, changes.added)
            _resolve_conflicts(batch, run, changes)
            _update_prices(batch, changes)
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

"""The lock that keeps reconciliations of one account from overlapping, across processes and
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
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from pm.db.errors import translated

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout expires

_memory_locks: dict[tuple[int, str], threading.Lock] = {}
_memory_locks_guard = threading.Lock()


def lock_key(account_id: str) -> int:
    """The account's advisory lock key: a signed 64-bit hash of a namespaced id."""
    digest = hashlib.blake2b(f"pm-reconcile:{account_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def reconcile_lock(engine: Engine, account_id: str, wait_s: float = 0) -> Iterator[bool]:
    """Hold the account's lock inside the block; yields False when another holds it."""
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine, lock_key(account_id), wait_s) as got:
            yield got
        return
    path = _sqlite_lock_path(engine, account_id)
    if path is None:
        with _memory_lock(engine, account_id, wait_s) as got:
            yield got
        return
    with _file_lock(engine, path, wait_s) as got:
        yield got


@contextmanager
def _pg_lock(engine: Engine, key: int, wait_s: float) -> Iterator[bool]:
    with translated(engine.url, "reconciliation lock"):
        conn = engine.connect()
    got = False
    try:
        with translated(engine.url, "reconciliation lock"):
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            if not got and wait_s > 0:
                got = _pg_wait(conn, key, wait_s)
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


def _sqlite_lock_path(engine: Engine, account_id: str) -> Path | None:
    database = engine.url.database or ""
    if database in ("", ":memory:") or engine.url.query.get("mode") == "memory":
        return None
    digest = hashlib.blake2b(account_id.encode(), digest_size=6).hexdigest()
    return Path(database).expanduser().with_name(f"{Path(database).name}.reconcile-{digest}.lock")


@contextmanager
def _file_lock(engine: Engine, path: Path, wait_s: float) -> Iterator[bool]:
    with translated(engine.url, "reconciliation lock"):
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
def _memory_lock(engine: Engine, account_id: str, wait_s: float) -> Iterator[bool]:
    with _memory_locks_guard:
        lock = _memory_locks.setdefault((id(engine), account_id), threading.Lock())
    got = lock.acquire(timeout=wait_s) if wait_s > 0 else lock.acquire(blocking=False)
    try:
        yield got
    finally:
        if got:
            lock.release()

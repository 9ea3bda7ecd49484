"""Opening the database: URL handling, engine setup, and the first-use migration.

The CLI calls `open_database` (and `upgrade` / `current_revision` / `head_revision` for
``pm db``). None of these import alembic unless an upgrade actually runs.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from pm.db.errors import translated
from pm.db.migrate import (
    SQLITE_BEGIN_OPTION,
    MigrationResult,
    ensure_current,
    head_revision,
    migrate,
    read_revision,
)
from pm.db.urls import mask_url, normalize_url
from pm.domain.errors import DatabaseError

if TYPE_CHECKING:
    from pm.db.demo_store import SqlDemoStore
    from pm.db.repository import SqlRepository

__all__ = [
    "Database",
    "MigrationResult",
    "current_revision",
    "head_revision",
    "make_engine",
    "mask_url",
    "open_database",
    "upgrade",
]

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10


def _parse(url: str) -> URL:
    try:
        return make_url(normalize_url(url))
    except (ArgumentError, ValueError) as exc:
        raise DatabaseError(f"database {mask_url(url)}: not a valid database URL") from exc


def _is_memory(parsed: URL) -> bool:
    database = parsed.database or ""
    return database in ("", ":memory:") or parsed.query.get("mode") == "memory"


def make_engine(url: str) -> Engine:
    """An engine for `url` (``postgresql://`` means psycopg 3). Does not connect yet.

    SQLite gets foreign keys on, WAL, a busy timeout, transactions that really begin (so DDL
    is transactional too) and its parent directory created. PostgreSQL gets a connect timeout
    and pre-ping (a long `pm watch` outlives server restarts).
    """
    parsed = _parse(url)
    with translated(parsed, "cannot open"):
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            return _sqlite_engine(parsed)
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if backend == "postgresql" and "connect_timeout" not in parsed.query:
            kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_S}
        return create_engine(parsed, **kwargs)


def _sqlite_engine(parsed: URL) -> Engine:
    memory = _is_memory(parsed)
    kwargs: dict[str, Any] = {}
    if memory:
        # One shared connection, so every thread (write-behind included) sees one database.
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        assert parsed.database is not None
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (below) emit BEGIN itself; pysqlite's own handling defers it and
        # commits before DDL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not memory:
                _use_wal(cursor)
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")

    return engine


def _use_wal(cursor: Any) -> None:
    """Switch a file database to WAL once; the switch ignores busy_timeout, so wait here.

    Several processes opening a brand-new file at once race for the switch, and the losers
    get "database is locked" at once instead of waiting.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class Database:
    """An opened, current database: hands out its stores (`repository`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._repository: SqlRepository | None = None

    @property
    def masked_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def repository(self) -> SqlRepository:
        """The database's stores (one `SqlRepository`, made on first use)."""
        if self._repository is None:
            from pm.db.repository import SqlRepository

            self._repository = SqlRepository(self.engine)
        return self._repository

    def demo_store(self) -> SqlDemoStore:
        return self.repository().demo

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({self.masked_url!r})"


def open_database(url: str, *, auto_migrate: bool = True) -> Database:
    """Open `url`, check its revision with one query, and migrate it to head if behind.

    With ``auto_migrate=False`` a database that is behind raises `DatabaseError` asking for
    ``pm db upgrade``. Any failure to connect, open or migrate raises `DatabaseError` with a
    one-line message that shows the URL with its password masked.
    """
    engine = make_engine(url)
    try:
        with translated(url, "cannot open"):
            ensure_current(engine, auto_migrate=auto_migrate)
    except BaseException:
        engine.dispose()
        raise
    return Database(engine)


def upgrade(url: str) -> MigrationResult:
    """``pm db upgrade``: bring the database to head (under the migration lock)."""
    engine = make_engine(url)
    try:
        with translated(url, "cannot open"):
            return migrate(engine)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """``pm db current``: the stored revision, None for a database never migrated."""
    engine = make_engine(url)
    try:
        with translated(url, "cannot open"), engine.connect() as conn:
            return read_revision(conn)
    finally:
        engine.dispose()

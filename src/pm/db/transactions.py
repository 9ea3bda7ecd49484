"""What every store shares: one transaction per call, upserts, and the account row.

Every public method of a store is one transaction (SQLite: ``BEGIN IMMEDIATE`` for writes, so
a writer never fails half-way on a lock upgrade); an exception inside rolls it back, and
SQLAlchemy or driver errors come out as `DatabaseError` with the URL's password masked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Connection, Engine

from pm.db.errors import translated
from pm.db.migrate import SQLITE_BEGIN_OPTION
from pm.db.tables import accounts
from pm.domain.errors import DatabaseError


class Transactions:
    """The base of every store: one connection and one transaction per call."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Connection]:
        """A connection inside one transaction, committed at the end of the block."""
        with translated(self._engine.url), self._engine.connect() as conn:
            if write and conn.dialect.name == "sqlite":
                conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                yield conn

    def read(self) -> AbstractContextManager[Connection]:
        return self.transaction(write=False)

    def write(self) -> AbstractContextManager[Connection]:
        return self.transaction(write=True)


def upsert_insert(conn: Connection) -> Any:
    """The dialect's ``insert`` that supports ``ON CONFLICT`` (only that dialect is loaded)."""
    name = conn.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise DatabaseError(f"database backend {name!r} is not supported (use SQLite or PostgreSQL)")


def ensure_account(
    conn: Connection, account_id: str, now: datetime, broker: str | None = None
) -> None:
    """Make sure the account row exists (every stored row references one)."""
    stmt = upsert_insert(conn)(accounts).values(
        account_id=account_id, broker=broker, created_at=now, last_seen_at=now
    )
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["account_id"]))
    if broker is not None:
        conn.execute(
            update(accounts)
            .where(accounts.c.account_id == account_id, accounts.c.broker.is_(None))
            .values(broker=broker)
        )

"""Bringing a database to the latest revision, cheaply when it already is there.

The fast path is one ``SELECT`` on ``alembic_version``; alembic itself is imported only when an
upgrade has to run. Upgrades run under a lock (PostgreSQL: a transaction-level advisory lock;
SQLite: ``BEGIN IMMEDIATE``), re-read the revision once the lock is held, and run in that same
transaction, so concurrent first uses migrate exactly once and a failed upgrade changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from pm.db.errors import database_error
from pm.db.revision import HEAD_REVISION, MIGRATION_LOCK_KEY, REVISIONS, migrations_dir
from pm.domain.errors import DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config

VERSION_TABLE = "alembic_version"

#: Execution option read by the SQLite ``begin`` hook in `pm.db.engine`.
SQLITE_BEGIN_OPTION = "pm_sqlite_begin"


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """Where an upgrade started and ended (``before`` is None for an empty database)."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def head_revision() -> str:
    """The revision this version of `pm` expects (no alembic import)."""
    return HEAD_REVISION


def _single(conn: Connection, rows: list[Any]) -> str | None:
    versions = [str(row[0]) for row in rows]
    if not versions:
        return None
    if len(versions) > 1:
        raise DatabaseError(
            f"database {_masked(conn.engine)}: {VERSION_TABLE} holds several revisions "
            f"({', '.join(versions)}); fix it by hand"
        )
    return versions[0]


def read_revision(conn: Connection) -> str | None:
    """The stored revision, with one query; None when the database has never been migrated.

    Inside a transaction the query runs in a savepoint (a failed statement would otherwise
    abort a PostgreSQL transaction); outside one it leaves the autobegun transaction open.
    """
    nested = conn.in_transaction()
    query = text(f"SELECT version_num FROM {VERSION_TABLE}")
    try:
        if nested:
            with conn.begin_nested():
                rows = list(conn.execute(query))
        else:
            rows = list(conn.execute(query))
    except DBAPIError:
        # Usually "no such table"; make sure it is that and not a real failure.
        if not nested:
            conn.rollback()
        if inspect(conn).has_table(VERSION_TABLE):
            raise
        return None
    return _single(conn, rows)


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An alembic `Config` without an alembic.ini: the script directory is found at runtime."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> MigrationResult:
    """Upgrade to head under the migration lock; a no-op when already there."""
    try:
        return _migrate_locked(engine)
    except DatabaseError:
        raise
    except Exception as exc:  # alembic, driver and SQL errors alike: one line for the user
        raise database_error(engine.url, exc, doing="migration failed") from exc


def _migrate_locked(engine: Engine) -> MigrationResult:
    with engine.connect() as conn:
        backend = conn.dialect.name
        if backend == "sqlite":
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            if backend == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            before = read_revision(conn)
            if before != HEAD_REVISION:
                _check_known(engine, before)
                from alembic import command

                command.upgrade(alembic_config(connection=conn), "head")
            after = read_revision(conn)
    if after != HEAD_REVISION:
        raise DatabaseError(
            f"database {_masked(engine)}: migration ended at revision {after}, "
            f"expected {HEAD_REVISION}"
        )
    return MigrationResult(before=before, after=after)


def ensure_current(engine: Engine, *, auto_migrate: bool) -> MigrationResult:
    """Check the revision (one query) and, if behind, migrate or say how to."""
    with engine.connect() as conn:
        current = read_revision(conn)
        conn.rollback()
    if current == HEAD_REVISION:
        return MigrationResult(before=current, after=current)
    _check_known(engine, current)
    if not auto_migrate:
        state = f"at revision {current}" if current else "not initialised"
        raise DatabaseError(
            f"database {_masked(engine)} is {state}; this pm needs revision {HEAD_REVISION}: "
            "run `pm db upgrade` (automatic migration is off)"
        )
    return migrate(engine)


def behind(where: str, revision: str | None) -> DatabaseError | None:
    """Why a database at `revision` is not at this pm's head (None when it is): behind it,
    never migrated, or at a revision this pm does not know. `where` names the database."""
    if revision == HEAD_REVISION:
        return None
    if revision is not None and revision not in REVISIONS:
        return _unknown(where, revision)
    state = f"at revision {revision}, behind" if revision else "not initialised, behind"
    return DatabaseError(
        f"database {where} is {state} the latest revision {HEAD_REVISION}: run `pm db upgrade`"
    )


def _unknown(where: str, revision: str) -> DatabaseError:
    return DatabaseError(
        f"database {where} is at revision {revision}, which this pm does not know "
        f"(its newest is {HEAD_REVISION}); upgrade pm or use another database"
    )


def _check_known(engine: Engine, revision: str | None) -> None:
    if revision is not None and revision not in REVISIONS:
        raise _unknown(_masked(engine), revision)


def _masked(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)

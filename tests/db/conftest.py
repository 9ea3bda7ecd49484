"""Database fixtures: a SQLite file per test, and a fresh PostgreSQL schema per test.

PostgreSQL tests read ``PM_TEST_DATABASE_URL`` and skip without it, unless
``PM_REQUIRE_POSTGRES=1``, which turns the skip into a failure (CI sets both).

Isolation on PostgreSQL: every test (or module, for the hypothesis tests) gets its own
schema ``pm_test_<random>``, selected through libpq's ``options=-csearch_path=...`` in the URL
handed to the code under test, and dropped with CASCADE afterwards. Tests can therefore run
repeatedly and concurrently against one database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from pm.db.engine import Database, open_database
from pm.db.repository import SqlRepository
from pm.db.urls import normalize_url

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def postgres_base_url() -> str:
    """The server URL from the environment; skip (or fail, when required) without it."""
    url = os.environ.get("PM_TEST_DATABASE_URL", "").strip()
    if url:
        return url
    if os.environ.get("PM_REQUIRE_POSTGRES", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail("PM_REQUIRE_POSTGRES=1 but PM_TEST_DATABASE_URL is not set")
    pytest.skip("PM_TEST_DATABASE_URL is not set (PostgreSQL tests skipped)")


def _with_search_path(url: str, schema: str) -> str:
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_schemas() -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty schemas (URLs pointing into them); all dropped at the end."""
    created: list[str] = []
    admin: dict[str, Engine] = {}

    def make() -> str:
        base = postgres_base_url()
        if "engine" not in admin:
            admin["engine"] = create_engine(normalize_url(base), isolation_level="AUTOCOMMIT")
        schema = f"pm_test_{uuid.uuid4().hex[:12]}"
        with admin["engine"].connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        created.append(schema)
        return _with_search_path(base, schema)

    yield make

    if "engine" in admin:
        with admin["engine"].connect() as conn:
            for schema in created:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin["engine"].dispose()


@pytest.fixture
def postgres_url(pg_schemas: Callable[[], str]) -> str:
    """A PostgreSQL URL into an empty schema of its own."""
    return pg_schemas()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file URL in a directory that does not exist yet."""
    return f"sqlite:///{tmp_path / 'data' / 'pm.db'}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each backend."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """The test database, opened (and so migrated) the way pm opens it."""
    with open_database(db_url) as db:
        yield db


@pytest.fixture(scope="module", params=BACKENDS)
def module_database(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_schemas: Callable[[], str],
) -> Iterator[Database]:
    """One database a test module shares (hypothesis runs many examples), on both backends."""
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('module')) / 'module.db'}"
    else:
        url = pg_schemas()
    with open_database(url) as database:
        yield database


@pytest.fixture
def repo(database: Database) -> SqlRepository:
    return database.repository()

"""Migrations: empty to head, models and migrations agree, locking, and the fast path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

import pm
from pm.db.engine import current_revision, head_revision, make_engine, open_database, upgrade
from pm.db.indexes import metadata
from pm.db.migrate import alembic_config
from pm.db.revision import HEAD_REVISION, REVISIONS, migrations_dir
from pm.domain.errors import DatabaseError

REPO = Path(__file__).resolve().parents[2]
TABLES = {
    "accounts",
    "positions",
    "allocation_policies",
    "rebalance_runs",
    "allocation_targets",
    "portfolio_snapshots",
    "demo_accounts",
    "demo_holdings",
    "demo_orders",
    "reconciliation_runs",
    "position_conflicts",
    "jobs",
    "universe_fundamentals",
    "alerts",
    "circuit_breakers",
    "audit_log",
    "orders",
    "fills",
    "cash_activities",
    "ledger_sync",
    "macro_observations",
    "exit_rules",
    "exit_states",
    "exit_events",
}


def test_head_revision_matches_alembic() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD_REVISION]
    assert head_revision() == HEAD_REVISION
    walked = [rev.revision for rev in script.walk_revisions("base", "heads")]
    assert tuple(reversed(walked)) == REVISIONS


def test_migrations_dir_in_a_checkout() -> None:
    assert migrations_dir() == REPO / "migrations"
    assert (migrations_dir() / "versions" / "0001_initial.py").is_file()
    assert Path(pm.__file__).resolve().parents[2] == REPO


def test_models_cover_every_table() -> None:
    assert set(metadata.tables) == TABLES


def test_empty_to_head(db_url: str) -> None:
    assert current_revision(db_url) is None
    with open_database(db_url) as db:
        names = set(inspect(db.engine).get_table_names())
    assert names == TABLES | {"alembic_version"}
    assert current_revision(db_url) == HEAD_REVISION


def test_upgrade_reports_what_it_did(db_url: str) -> None:
    first = upgrade(db_url)
    assert (first.before, first.after, first.changed) == (None, HEAD_REVISION, True)
    second = upgrade(db_url)
    assert (second.before, second.after, second.changed) == (HEAD_REVISION, HEAD_REVISION, False)


def test_models_and_migrations_agree(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diffs == []


def test_no_auto_migrate_refuses_an_empty_database(db_url: str) -> None:
    with pytest.raises(DatabaseError, match="pm db upgrade"):
        open_database(db_url, auto_migrate=False)
    assert current_revision(db_url) is None
    upgrade(db_url)
    open_database(db_url, auto_migrate=False).close()


def test_unknown_revision_is_refused(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match=r"9999.*does not know"):
        open_database(db_url)


def test_concurrent_first_use_migrates_once(db_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def open_it() -> None:
        try:
            barrier.wait()
            open_database(db_url).close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
            (HEAD_REVISION,)
        ]
    engine.dispose()


OPEN_AGAIN = """
import sys
from pm.db.engine import open_database
db = open_database(sys.argv[1])
db.repository().accounts.account_for("nobody")
db.close()
print("alembic" in sys.modules, "pm.db.tables" in sys.modules)
"""


@pytest.mark.slow
def test_second_open_does_not_import_alembic(db_url: str) -> None:
    first = subprocess.run(
        [sys.executable, "-c", OPEN_AGAIN, db_url], capture_output=True, text=True, check=True
    )
    assert first.stdout.split() == ["True", "True"]  # the first use migrated
    second = subprocess.run(
        [sys.executable, "-c", OPEN_AGAIN, db_url], capture_output=True, text=True, check=True
    )
    assert second.stdout.split() == ["False", "True"]
    assert second.stderr == ""


def test_unreachable_postgres_is_a_database_error_without_the_password() -> None:
    url = "postgresql://u:secret@127.0.0.1:1/x"
    with pytest.raises(DatabaseError) as caught:
        open_database(url)
    message = caught.value.message
    assert "secret" not in message
    assert "postgresql://u:***@127.0.0.1:1/x" in message
    assert "\n" not in message
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize("secret", ["p@ss:w/rd", "se cret", "%40x"])
def test_odd_passwords_stay_hidden(secret: str) -> None:
    from urllib.parse import quote

    for url in (
        f"postgresql://u:{quote(secret, safe='')}@127.0.0.1:1/x",
        f"postgresql://u:{secret}@127.0.0.1:1/x",
    ):
        with pytest.raises(DatabaseError) as caught:
            open_database(url)
        assert secret not in caught.value.message
        assert quote(secret, safe="") not in caught.value.message


def test_sqlite_path_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseError, match="cannot open"):
        open_database(f"sqlite:///{blocker / 'sub' / 'pm.db'}")


def test_not_a_url() -> None:
    with pytest.raises(DatabaseError, match="not a valid database URL"):
        open_database("nonsense")


def test_sqlite_creates_parent_dirs_and_uses_wal(sqlite_url: str) -> None:
    with open_database(sqlite_url) as db, db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert Path(sqlite_url.removeprefix("sqlite:///")).is_file()


def test_in_memory_sqlite_works() -> None:
    with open_database("sqlite://") as db:
        assert db.repository().accounts.account_for("x") is None


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv to build the wheel")
def test_the_wheel_ships_the_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [shutil.which("uv") or "uv", "build", "--wheel", "-o", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("pm-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "pm/_migrations/env.py" in names
    assert "pm/_migrations/script.py.mako" in names
    assert "pm/_migrations/versions/0001_initial.py" in names
    assert "pm/db/migrate.py" in names


@pytest.mark.slow
def test_require_postgres_turns_the_skip_into_a_failure() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PM_TEST_DATABASE_URL"}
    env["PM_REQUIRE_POSTGRES"] = "1"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-k",
            "nulls",
            str(Path(__file__).with_name("test_types.py")),
        ],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout
    assert "PM_REQUIRE_POSTGRES=1 but PM_TEST_DATABASE_URL is not set" in run.stdout
    assert "ERROR tests/db/test_types.py::test_nulls[postgresql]" in run.stdout
    assert "test_nulls[sqlite]" not in run.stdout  # the SQLite half still passes

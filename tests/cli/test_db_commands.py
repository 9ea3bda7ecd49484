"""`pm db current` / `pm db upgrade`, and PM_AUTO_MIGRATE=false for managed databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from pm.db.revision import HEAD_REVISION, REVISIONS
from tests.cli.conftest import PmRunner


def test_a_new_database_is_empty_until_upgraded(pm: PmRunner, pm_home: Path) -> None:
    before = pm("db", "current", "--json")
    assert before.code == 6, before.stderr  # behind: a deploy script can check it
    assert before.json()["revision"] is None
    assert before.json()["up_to_date"] is False
    assert before.error()["error"] == "DatabaseError"
    assert "not initialised, behind the latest revision" in before.error()["message"]
    assert "pm db upgrade" in before.error()["message"]
    upgraded = pm("db", "upgrade", "--json")
    assert upgraded.code == 0, upgraded.stderr
    assert upgraded.json() == {
        "database": f"sqlite:///{pm_home / 'pm.db'}",
        "revision": HEAD_REVISION,
        "head": HEAD_REVISION,
        "up_to_date": True,
        "upgraded_from": None,
    }
    again = pm("db", "upgrade", "--json").json()
    assert again["upgraded_from"] == HEAD_REVISION
    current = pm("db", "current")
    assert current.code == 0, current.stderr
    assert "up to date" in current.stdout


def test_db_current_exits_6_when_the_schema_is_behind(pm: PmRunner, pm_home: Path) -> None:
    import sqlite3

    assert pm("db", "upgrade").code == 0
    previous = REVISIONS[-2]
    with sqlite3.connect(pm_home / "pm.db") as db:
        db.execute("UPDATE alembic_version SET version_num = ?", (previous,))
    result = pm("db", "current")
    assert result.code == 6
    assert f"revision {previous}, behind" in result.stdout + result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert f"at revision {previous}, behind the latest revision {HEAD_REVISION}" in line
    assert "pm db upgrade" in line


def test_without_auto_migrate_a_new_database_asks_for_db_upgrade(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_AUTO_MIGRATE", "false")
    refused = pm("--demo", "snapshot", "--json")
    assert refused.code == 6
    assert "pm db upgrade" in refused.error()["message"]
    assert pm("db", "upgrade").code == 0
    assert pm("--demo", "snapshot", "--json").code == 0


def test_the_password_is_masked_when_the_database_is_unreachable(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_DATABASE_URL", "postgresql://ops:s3cr3t-pw@127.0.0.1:1/pm")
    result = pm("db", "current")
    assert result.code == 6
    assert "s3cr3t-pw" not in result.stderr
    assert "ops:***@127.0.0.1:1/pm" in result.stderr

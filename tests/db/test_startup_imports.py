"""`pm --demo snapshot --json` (and the book writers) on SQLite load neither the ORM nor
PostgreSQL's dialect.

Both are large (the ORM alone about a third of a second here) and unused there: the stores are
SQLAlchemy Core, and only the URL's dialect is needed. Measured as the brief's benchmark does,
with ``python -X importtime``, on a database already at the latest revision (a first use runs
Alembic, which has its own imports).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # subprocesses or real waits

NOT_ON_SQLITE = ("sqlalchemy.orm", "sqlalchemy.dialects.postgresql")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALPACA_", "PM_", "FRED_"))}
    env.update(
        PM_DATABASE_URL=f"sqlite:///{home / 'pm.db'}",
        XDG_CONFIG_HOME=str(home / "config"),  # no config file
        XDG_DATA_HOME=str(home / "data"),
        NO_COLOR="1",
    )
    return env


def _imported(args: list[str], env: dict[str, str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pm", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {m.group(1) for m in re.finditer(r"^import time:.*\|\s*(\S+)$", done.stderr, re.M)}


@pytest.mark.parametrize(
    "command",
    [
        ["--demo", "snapshot", "--json"],
        ["--demo", "positions", "--json"],
        ["--demo", "reconcile", "--force", "--json"],
    ],
    ids=["snapshot", "positions", "reconcile"],
)
def test_no_orm_and_no_postgresql_dialect_on_sqlite(tmp_path: Path, command: list[str]) -> None:
    env = _env(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "pm", "db", "upgrade"], env=env, check=True, capture_output=True
    )
    modules = _imported(command, env)
    assert "pm.db.repository" in modules  # the command did use the database
    assert "sqlalchemy.dialects.sqlite" in modules
    loaded = sorted(m for m in modules if m.startswith(NOT_ON_SQLITE))
    assert loaded == [], f"{' '.join(command)} imported {loaded}"

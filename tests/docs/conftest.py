"""A demo account with some history, for running the README's documented commands."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pm_cli import call, isolated_env


def _ok(*args: str, codes: tuple[int, ...] = (0,)) -> None:
    done = call("--demo", *args)
    command = " ".join(args)
    assert done.code in codes, f"set-up `pm --demo {command}` exited {done.code}:\n{done.stderr}"


@pytest.fixture(scope="session")
def demo_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file where the demo account has a snapshot, reconciliations with a conflict,
    a close (an audit row and an order), a risk run (alerts) and an active policy: every list has
    rows."""
    home = tmp_path_factory.mktemp("demo-history")
    with isolated_env(home):
        _ok("snapshot")
        _ok("reconcile", "--force")
        rows = call("--demo", "book", "list", "--json").json()
        stock = next(r for r in rows if r["side"] == "long" and r["asset_class"] == "us_equity")
        _ok("book", "edit", str(stock["id"]), "--qty", str(stock["qty"] + 1))
        _ok("reconcile", "--force")
        _ok("close", stock["symbol"], "--qty", "1", "--yes")
        _ok("risk", codes=(0, 1))
        _ok("policy", "create", "core", "--target", "AAPL=5", "--cash-pct", "95")
        _ok("policy", "activate", "core")
        # a rebalance run (one intent of the plan, so the other examples keep their holdings)
        import json

        plan = json.loads(call("--demo", "rebalance", "plan", "--json").stdout)
        plan["intents"] = plan["intents"][:1]

        done = call(
            "--demo", "rebalance", "run", "--plan", "-", "--execute", "--yes", "--queue",
            input=json.dumps(plan),
        )  # fmt: skip
        assert done.code == 0, done.stderr
    return home / "pm.db"


@pytest.fixture
def demo_copy(demo_history: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of `demo_history`, with the environment pointed at it."""
    source, target = sqlite3.connect(demo_history), sqlite3.connect(tmp_path / "pm.db")
    try:
        source.backup(target)  # with what is still in the write-ahead log, unlike a file copy
    finally:
        source.close()
        target.close()
    with isolated_env(tmp_path):
        yield tmp_path

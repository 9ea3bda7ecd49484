"""A rebalance run killed (SIGKILL) at every step, then `pm rebalance resume`: no
client_order_id is sent twice and the account ends as an uninterrupted run leaves it, on
SQLite and PostgreSQL, in real processes on the demo account (whose orders fill at any hour
with --queue)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pm.db.engine import open_database
from pm.db.tables import demo_orders, orders, rebalance_runs
from pm.services.orders import (
    AFTER_BROKER_ANSWER,
    AFTER_FILL_RECORDED,
    AFTER_ORDER_COMMIT,
    BEFORE_ORDER_COMMIT,
)
from pm.services.rebalance_run import RUN_STEPS
from tests.cli.conftest import CORE_POLICY

pytestmark = pytest.mark.slow

STEPS = (BEFORE_ORDER_COMMIT, AFTER_ORDER_COMMIT, AFTER_BROKER_ANSWER, AFTER_FILL_RECORDED)


def env_for(home: Path, db_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALPACA_", "APCA_", "PM_", "FRED_"))
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        PM_DATABASE_URL=db_url,
        NO_COLOR="1",
    )
    return env


def pm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pm", "--demo", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def prepare(env: dict[str, str]) -> None:
    for args in (("policy", "create", "core", *CORE_POLICY), ("policy", "activate", "core")):
        done = pm(env, *args)
        assert done.returncode == 0, done.stderr


def holdings(env: dict[str, str]) -> dict[str, Decimal]:
    done = pm(env, "positions", "--json")
    assert done.returncode == 0, done.stderr
    return {p["symbol"]: Decimal(str(p["qty"])) for p in json.loads(done.stdout)}


def table(db_url: str, t: Any) -> list[dict[str, Any]]:
    with open_database(db_url) as db, db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t))]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Decimal]:
    home = tmp_path_factory.mktemp("reference")
    env = env_for(home, f"sqlite:///{home / 'pm.db'}")
    prepare(env)
    done = pm(env, "rebalance", "run", "--execute", "--yes", "--queue", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "completed"
    return holdings(env)


@pytest.mark.parametrize("step", [*STEPS, *RUN_STEPS])
def test_a_run_killed_at_any_step_resumes_to_the_same_holdings(
    db_url: str, tmp_path: Path, step: str, uninterrupted: dict[str, Decimal]
) -> None:
    env = env_for(tmp_path, db_url)
    prepare(env)
    killed = pm(
        {**env, "PM_TEST_KILL_AT": step},
        "rebalance",
        "run",
        "--execute",
        "--yes",
        "--queue",
        "--json",
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (run,) = table(db_url, rebalance_runs)
    assert run["status"] == "running"  # the row was committed before any order
    resumed = pm(env, "rebalance", "resume", str(run["id"]), "--json")
    assert resumed.returncode == 0, resumed.stderr
    doc = json.loads(resumed.stdout)
    assert doc["status"] == "completed"
    assert doc["skipped"] == []
    # never an order twice: at the broker, one order a client_order_id, one filled a seq
    sent = Counter(o["client_order_id"] for o in table(db_url, demo_orders))
    assert sent
    assert max(sent.values()) == 1
    filled = Counter(o["seq"] for o in doc["orders"] if o["status"] == "filled")
    assert filled
    assert max(filled.values()) == 1
    assert set(filled) == {i["seq"] for i in doc["intents"]}
    assert len(table(db_url, orders)) == len(doc["orders"])
    assert holdings(env) == uninterrupted
    again = pm(env, "rebalance", "resume", str(run["id"]), "--json")  # a completed run: as is
    assert again.returncode == 0
    assert json.loads(again.stdout)["status"] == "completed"
    assert Counter(o["client_order_id"] for o in table(db_url, demo_orders)) == sent


def test_two_runs_at_once_one_executes_the_other_finds_its_plan_stale(
    db_url: str, tmp_path: Path
) -> None:
    env = env_for(tmp_path, db_url)
    prepare(env)
    args = [sys.executable, "-m", "pm", "--demo", "rebalance", "run", "--execute", "--yes"]
    procs = [
        subprocess.Popen(
            [*args, "--queue", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    runs = table(db_url, rebalance_runs)
    sent = Counter(o["client_order_id"] for o in table(db_url, demo_orders))
    if codes == [0, 0]:
        # the second planned only after the first had finished: the account was in balance,
        # so its run completed with nothing to send
        assert [r["status"] for r in runs] == ["completed", "completed"], outs
        assert runs[1]["order_intents"] == []
    else:
        assert codes == [0, 1], outs
        refused = next(err for p, (_o, err) in zip(procs, outs, strict=True) if p.returncode)
        assert "stale" in refused or "another pm command" in refused
        assert [r["status"] for r in runs] == ["completed"]
    assert len(sent) == len(runs[0]["order_intents"])

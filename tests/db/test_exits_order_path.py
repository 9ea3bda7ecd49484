"""A `pm exits check --execute` killed (SIGKILL) between the order and its recording, on
SQLite and PostgreSQL against the Alpaca stand-in: the restarted check settles the exit order
first, finds the level done, and sends no second order."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pm.services.orders import AFTER_BROKER_ANSWER
from tests.db.test_order_path import env_for, pm
from tests.support.fake_alpaca import FakeAlpaca


@pytest.mark.slow
def test_a_check_killed_after_the_broker_answered_sends_no_second_order(
    db_url: str, tmp_path: Path
) -> None:
    with FakeAlpaca() as server:
        server.activities = []
        server.positions = [p for p in server.positions if p["symbol"] != "BTCUSD"]
        env = env_for(tmp_path, db_url, server)
        done = pm(env, "exits", "set", "AAPL", "--take-profit", "5:50", "--no-trail")
        assert done.returncode == 0, done.stderr
        killed = pm(
            {**env, "PM_TEST_KILL_AT": AFTER_BROKER_ANSWER}, "exits", "check", "--execute", "--yes"
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert server.count("POST", "/v2/orders") == 1
        again = pm(env, "exits", "check", "--execute", "--yes", "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["fires"] == []
        assert server.count("POST", "/v2/orders") == 1  # settled, never sent again
        shown = json.loads(pm(env, "exits", "status", "--json").stdout)
    aapl = next(p for p in shown if p["symbol"] == "AAPL")
    (executed,) = aapl["executed"]
    assert executed["name"] == "tp5"
    assert executed["status"] == "filled"
    assert executed["client_order_id"] == f"pm-exit-{aapl['position_key']}-tp5"
    assert Decimal(str(aapl["qty"])) == Decimal(5)


@pytest.mark.slow
def test_two_concurrent_checks_send_each_level_once(db_url: str, tmp_path: Path) -> None:
    with FakeAlpaca(latency_s=0.3) as server:
        server.activities = []
        server.positions = [p for p in server.positions if p["symbol"] != "BTCUSD"]
        env = env_for(tmp_path, db_url, server)
        done = pm(env, "exits", "set", "AAPL", "--take-profit", "5:50", "--no-trail")
        assert done.returncode == 0, done.stderr
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "pm", "exits", "check", "--execute", "--yes", "--json"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outs = [(p.wait(timeout=60), *p.communicate()) for p in procs]
        assert server.count("POST", "/v2/orders") == 1
    assert sorted(code for code, _, _ in outs) == [0, 0], outs
    fired = [f for _, out, _ in outs for f in json.loads(out)["fires"]]
    assert [(f["level"], f["status"]) for f in fired] == [("tp5", "filled")]

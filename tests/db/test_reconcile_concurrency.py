"""Several processes against one database: reconciliations of an account never overlap.

Runs real `pm` processes (the installed entry point via ``python -m pm``) against a local
fake Alpaca whose answers take a while, so that the processes really do contend.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from pm.db.engine import open_database
from pm.db.reconcile_store import SqlReconcileStore
from pm.db.tables import reconciliation_runs
from pm.domain.reconcile import ALREADY_RUNNING, RunRecord
from tests.support.fake_alpaca import FakeAlpaca

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def env_for(tmp_path: Path, db_url: str, server: FakeAlpaca) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALPACA_", "APCA_", "PM_", "FRED_"))
    }
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # no config file
        PM_DATABASE_URL=db_url,
        ALPACA_API_KEY="PKTESTKEY000000000001",
        ALPACA_SECRET_KEY="secret-0123456789abcdef",
        ALPACA_BASE_URL=server.base_url,
        NO_COLOR="1",
    )
    return env


def assert_no_overlap(runs: list[RunRecord]) -> None:
    worked = sorted(
        (r for r in runs if r.status in ("completed", "failed")), key=lambda r: r.started_at
    )
    for earlier, later in itertools.pairwise(worked):
        assert earlier.finished_at is not None
        assert earlier.finished_at <= later.started_at, (earlier, later)


def stored_runs(db_url: str) -> list[RunRecord]:
    with open_database(db_url) as db:
        store = SqlReconcileStore(db.engine)
        with db.engine.connect() as conn:
            accounts = set(conn.execute(select(reconciliation_runs.c.account_id)).scalars())
        assert len(accounts) == 1
        return store.runs(accounts.pop())


def test_concurrent_forced_reconciles_take_turns(tmp_path: Path, db_url: str) -> None:
    with FakeAlpaca(latency_s=0.4) as server:
        env = env_for(tmp_path, db_url, server)
        subprocess.run(
            [sys.executable, "-m", "pm", "db", "upgrade"], env=env, check=True, capture_output=True
        )
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "pm", "reconcile", "--force", "--json"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            results.append(json.loads(out))
    statuses = sorted(r["status"] for r in results)
    assert "completed" in statuses
    skipped = [r for r in results if r["status"] == "skipped"]
    assert skipped, "the processes never contended: the test proves nothing"
    assert all(r["error"] == ALREADY_RUNNING for r in skipped)
    assert_no_overlap(stored_runs(db_url))


@pytest.mark.postgres
def test_three_watchers_never_overlap(tmp_path: Path, postgres_url: str) -> None:
    with FakeAlpaca(latency_s=0.15) as server:
        env = env_for(tmp_path, postgres_url, server)
        subprocess.run(
            [sys.executable, "-m", "pm", "db", "upgrade"], env=env, check=True, capture_output=True
        )
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "pm", "watch", "--json", "--interval", "1"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        try:
            time.sleep(7)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            outputs = [proc.communicate(timeout=20) for proc in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    ran_by = [
        sum(
            1
            for line in out.splitlines()
            if (e := json.loads(line))["event"] == "job"
            and e["job"] == "reconcile"  # the trades job runs beside it
            and e["status"] == "completed"
        )
        for out, _ in outputs
    ]
    runs = stored_runs(postgres_url)
    completed = [r for r in runs if r.status == "completed"]
    assert len(completed) >= 4, runs  # about one a second for ~7 s
    assert sum(ran_by) == len(completed)
    assert all(r.trigger == "watch" for r in completed)
    assert_no_overlap(runs)

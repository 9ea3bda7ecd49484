"""`pm watch`: --once, NDJSON events, outage and recovery, and SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pm.broker.alpaca.build import build
from pm.cli.context import SystemClock
from pm.db.engine import open_database
from pm.db.job_store import SqlJobStore
from pm.db.reconcile_store import SqlReconcileStore
from pm.db.tables import positions
from pm.services.accounts import resolve
from pm.services.watch import Backoff, JobRegistry, Watcher, WatchEvent, reconcile_job
from tests.cli.conftest import API_KEY, SECRET_KEY, PmRunner
from tests.support.fake_alpaca import FakeAlpaca


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_once_runs_one_cycle_and_writes_ndjson(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    out = pm("watch", "--once", "--json")
    assert out.code == 0, out.stderr
    lines = events(out.stdout)
    assert [e["event"] for e in lines] == [
        "started",
        "cycle_started",
        "job",
        "job",
        "job",
        "job",
        "job",
        "cycle_finished",
        "stopped",
    ]
    job, trades = lines[2], lines[3]
    # the rebalance triggers skip an account without an active policy, exits one without rules
    assert [(e["job"], e["status"]) for e in lines[4:7]] == [
        ("rebalance-scheduled", "skipped"),
        ("rebalance-threshold", "skipped"),
        ("exits", "skipped"),
    ]
    assert lines[4]["detail"] == lines[5]["detail"] == {"reason": "no active policy"}
    assert lines[6]["detail"] == {"reason": "no exit rules"}
    assert (trades["job"], trades["status"], trades["detail"]["new_fills"]) == (
        "trades",
        "completed",
        9,
    )
    assert (job["job"], job["status"], job["run"]["trigger"], job["run"]["added"]) == (
        "reconcile",
        "completed",
        "watch",
        3,
    )
    assert all(e["at"].endswith("Z") for e in lines)
    # a second --once within the interval finds nothing due
    again = events(pm("watch", "--once", "--json").stdout)
    assert "job" not in [e["event"] for e in again]


@pytest.mark.slow
def test_once_during_an_outage_exits_3(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    alpaca.fail_with(503)
    out = pm("--timeout", "1", "watch", "--once", "--json")
    assert out.code == 3
    kinds = [e["event"] for e in events(out.stdout)]
    assert "cycle_finished" in kinds


@pytest.mark.slow
def test_outage_and_recovery(tmp_path: Path) -> None:  # noqa: PLR0915 - one story
    """The broker goes down and comes back: outage reported, nothing written, then resumed."""
    with FakeAlpaca() as server, open_database(f"sqlite:///{tmp_path / 'pm.db'}") as db:
        clock = SystemClock()
        adapters = build(
            api_key=API_KEY,
            secret_key=SECRET_KEY,
            base_url=server.base_url,
            data_url=server.base_url,
            clock=clock,
            deadline_s=1.0,
        )
        broker = adapters.broker
        repo = db.repository()
        seen: list[WatchEvent] = []
        stop = threading.Event()

        def account() -> str:
            return resolve(adapters.identity, repo, clock, broker=broker)

        def emit(event: WatchEvent) -> None:
            seen.append(event)
            if event.event == "recovered":
                server.positions = server.positions[:1]

        jobs = JobRegistry()
        jobs.register(
            reconcile_job(
                broker,
                repo,
                SqlReconcileStore(db.engine),
                clock,
                interval=timedelta(seconds=1),
            )
        )
        watcher = Watcher(
            jobs=jobs,
            store=SqlJobStore(db.engine),
            account=account,
            clock=clock,
            emit=emit,
            stop=stop,
            backoff=Backoff(base_s=0.05, cap_s=0.2),
        )
        thread = threading.Thread(target=watcher.run)
        thread.start()

        def wait_for(check: Any, timeout: float = 20) -> None:
            deadline = time.monotonic() + timeout
            while not check() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert check(), [(e.event, e.data.get("status")) for e in seen]

        def book() -> list[Any]:
            with db.engine.connect() as conn:
                return [tuple(r) for r in conn.execute(select(positions))]

        try:
            wait_for(lambda: any(e.event == "job" for e in seen))
            before = book()
            assert len(before) == 3
            server.fail_with(503)
            wait_for(lambda: sum(e.event == "outage" for e in seen) >= 2)
            outages = [e for e in seen if e.event == "outage"]
            assert all(0 < e.data["retry_in_s"] <= 0.2 for e in outages)
            assert book() == before  # nothing written while down
            server.fail_with(None)
            wait_for(lambda: any(e.event == "recovered" for e in seen))
            # keeps going after recovery: a later cycle sees the broker's change
            wait_for(
                lambda: any(
                    e.event == "job"
                    and e.data["status"] == "completed"
                    and e.data["detail"].removed == 2
                    for e in seen
                )
            )
        finally:
            stop.set()
            thread.join(10)
        assert not thread.is_alive()
        completed = [e for e in seen if e.event == "job" and e.data["status"] == "completed"]
        assert [e.data["detail"].added for e in completed][:1] == [3]
        assert any(e.data["detail"].removed == 2 for e in completed)
        assert seen[-1].event == "stopped"
        kinds = [(e.event, e.data.get("status")) for e in seen]
        recovered = kinds.index(("recovered", None))
        assert ("job", "failed") in kinds[:recovered]  # the outage's runs failed
        assert kinds[recovered - 2] == ("job", "completed")  # declared after a good cycle
        # failed runs were recorded during the outage
        runs = SqlReconcileStore(db.engine).runs(repo.accounts.account_for(broker.identity) or "")
        assert any(r.status == "failed" for r in runs)


def _spawn_watch(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pm", "watch", "--json", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _env(pm_home: Path, server: FakeAlpaca) -> dict[str, str]:
    env = dict(os.environ.items())
    env.update(
        ALPACA_API_KEY=API_KEY,
        ALPACA_SECRET_KEY=SECRET_KEY,
        ALPACA_BASE_URL=server.base_url,
    )
    return env


def _read_until(proc: subprocess.Popen[str], event: str, timeout: float) -> list[dict[str, Any]]:
    assert proc.stdout is not None
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(json.loads(line))
        if seen[-1]["event"] == event:
            return seen
    raise AssertionError(f"no {event} event; got {seen}")


@pytest.mark.e2e
@pytest.mark.slow
def test_sigterm_between_cycles_exits_0_quickly(pm_home: Path, alpaca: FakeAlpaca) -> None:
    proc = _spawn_watch(_env(pm_home, alpaca), "--interval", "60")
    try:
        _read_until(proc, "cycle_finished", 30)
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert time.monotonic() - start < 3
        assert json.loads(out.splitlines()[-1])["event"] == "stopped"
    finally:
        proc.kill()


@pytest.mark.e2e
@pytest.mark.slow
def test_sigterm_during_a_hanging_broker_call_abandons_cleanly(
    pm_home: Path, alpaca: FakeAlpaca
) -> None:
    alpaca.latency_s = 20  # every broker answer takes 20 s: the cycle cannot finish
    proc = _spawn_watch(_env(pm_home, alpaca), "--interval", "60")
    try:
        _read_until(proc, "cycle_started", 30)
        time.sleep(0.5)
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, _err = proc.communicate(timeout=15)
        assert proc.returncode == 0
        assert time.monotonic() - start < 6
        last = json.loads(out.splitlines()[-1])
        assert (last["event"], last["reason"]) == ("stopped", "abandoned")
    finally:
        proc.kill()
    with open_database(os.environ["PM_DATABASE_URL"]) as db, db.engine.connect() as conn:
        assert conn.execute(select(positions.c.id)).all() == []

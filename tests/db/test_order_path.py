"""The one order path end to end, on SQLite and PostgreSQL: the book follows pm's own fills,
a process killed at any step is settled by the next command without a second order, two
concurrent closes send one order, and an ambiguous failure is audited `unknown`, then
settled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pm.db.engine import open_database
from pm.db.tables import audit_log, fills, orders
from pm.services.orders import (
    AFTER_BROKER_ANSWER,
    AFTER_FILL_RECORDED,
    AFTER_ORDER_COMMIT,
    BEFORE_ORDER_COMMIT,
)
from tests.support.fake_alpaca import FakeAlpaca, Reply, payload
from tests.support.pm_cli import call, isolate


@contextmanager
def in_process_against_alpaca(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeAlpaca]:
    """pm called in-process (isolated, its database at db_url) against the Alpaca stand-in,
    whose activities are emptied so that the ledger holds only pm's own fills."""
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("PM_DATABASE_URL", db_url)
    with FakeAlpaca() as server:
        server.activities = []
        monkeypatch.setenv("ALPACA_API_KEY", "PKTESTKEY000000000001")
        monkeypatch.setenv("ALPACA_SECRET_KEY", "secret-0123456789abcdef")
        monkeypatch.setenv("ALPACA_BASE_URL", server.base_url)
        monkeypatch.setenv("ALPACA_DATA_URL", server.base_url)
        yield server


def rows(db_url: str, table: Any) -> list[dict[str, Any]]:
    with open_database(db_url) as db, db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]


# -- the demo: the book follows pm's own fills ----------------------------------------------


def test_reconcile_after_pms_own_closes_finds_nothing(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("PM_DATABASE_URL", db_url)
    assert call("--demo", "close", "PG", "--yes").code == 0
    assert call("--demo", "close", "AAPL", "--qty", "5", "--yes").code == 0
    stored = rows(db_url, fills)
    assert [(f["symbol"], f["side"], f["qty"], f["source"]) for f in stored] == [
        ("PG", "sell", Decimal(20), "order"),
        ("AAPL", "sell", Decimal(5), "order"),
    ]
    placed = rows(db_url, orders)
    assert [o["status"] for o in placed] == ["filled", "filled"]
    assert all(
        f["fill_id"] == f"order:{o['broker_order_id']}" for f, o in zip(stored, placed, strict=True)
    )
    done = call("--demo", "reconcile", "--force", "--json")
    assert done.code == 0, done.stderr
    run = done.json()
    assert (run["added"], run["removed"], run["conflicts"]) == (0, 0, 0)
    # reconcile also synced the demo's activities: each provisional fill was replaced by the
    # broker's FILL activity of the same order, never counted twice
    ours = {o["broker_order_id"] for o in placed}
    synced = [f for f in rows(db_url, fills) if f["broker_order_id"] in ours]
    assert [(f["symbol"], f["qty"], f["source"]) for f in synced] == [
        ("PG", Decimal(20), "activity"),
        ("AAPL", Decimal(5), "activity"),
    ]
    assert [f["order_id"] for f in stored] == [o["id"] for o in placed]
    # and after a close-all as well
    assert call("--demo", "close-all", "--emergency", "--yes").code == 0
    run = call("--demo", "reconcile", "--force", "--json").json()
    assert (run["added"], run["removed"], run["conflicts"]) == (0, 0, 0)
    listed = call("--demo", "orders", "--status", "all", "--json").json()
    assert len(listed) == len(rows(db_url, orders)) > 2
    assert call("--demo", "orders", "--json").json() == []  # none open


# -- against the Alpaca stand-in, in real processes -----------------------------------------


def env_for(tmp_path: Path, db_url: str, server: FakeAlpaca, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALPACA_", "APCA_", "PM_", "FRED_"))
    }
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PM_DATABASE_URL=db_url,
        ALPACA_API_KEY="PKTESTKEY000000000001",
        ALPACA_SECRET_KEY="secret-0123456789abcdef",
        ALPACA_BASE_URL=server.base_url,
        ALPACA_DATA_URL=server.base_url,
        PM_TIMEOUT="5",
        NO_COLOR="1",
        **extra,
    )
    return env


def pm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pm", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("step", "sent", "status", "outcome"),
    [
        (BEFORE_ORDER_COMMIT, 0, None, None),
        (AFTER_ORDER_COMMIT, 0, "not_sent", "failed"),
        (AFTER_BROKER_ANSWER, 1, "filled", "succeeded"),
        (AFTER_FILL_RECORDED, 1, "filled", "succeeded"),
    ],
)
def test_a_close_killed_at_any_step_is_settled_without_a_second_order(
    db_url: str,
    tmp_path: Path,
    step: str,
    sent: int,
    status: str | None,
    outcome: str | None,
) -> None:
    with FakeAlpaca() as server:
        server.activities = []  # the ledger holds only pm's own fills
        server.positions = [p for p in server.positions if p["symbol"] != "BTCUSD"]  # calm
        env = env_for(tmp_path, db_url, server)
        assert pm(env, "reconcile", "--force").returncode == 0  # the book holds AAPL 10
        killed = pm({**env, "PM_TEST_KILL_AT": step}, "close", "AAPL", "--qty", "4", "--yes")
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert server.count("POST", "/v2/orders") == sent
        listed = pm(env, "orders", "--status", "all", "--json")  # the next command settles
        assert listed.returncode == 0, listed.stderr
        assert server.count("POST", "/v2/orders") == sent  # settling never sends
        run = json.loads(pm(env, "reconcile", "--force", "--json").stdout)
    shown = json.loads(listed.stdout)
    audits = rows(db_url, audit_log)
    if status is None:
        assert shown == []
        assert audits == []
        return
    (order,) = shown
    assert order["status"] == status
    (audit,) = audits
    assert audit["outcome"] == outcome
    filled = rows(db_url, fills)
    assert len(filled) == (1 if status == "filled" else 0)
    assert (run["added"], run["removed"], run["conflicts"]) == (0, 0, 0)


@pytest.mark.slow
def test_two_concurrent_closes_send_one_order(db_url: str, tmp_path: Path) -> None:
    with FakeAlpaca(latency_s=0.3) as server:
        server.activities = []  # the ledger holds only pm's own fills
        server.positions = [p for p in server.positions if p["symbol"] != "BTCUSD"]
        env = env_for(tmp_path, db_url, server)
        assert pm(env, "db", "upgrade").returncode == 0
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "pm", "close", "AAPL", "--yes", "--json"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        done = [(p.wait(timeout=60), *p.communicate()) for p in procs]
        assert server.count("POST", "/v2/orders") == 1
    codes = sorted(code for code, _, _ in done)
    assert codes in ([0, 1], [0, 4]), done  # 4: the second planned after the first had closed
    loser = next(err for code, _, err in done if code != 0)
    if codes == [0, 1]:
        assert "Nothing was sent" in loser
        assert "pm-close-" in loser  # it names the order of the first
    assert [o["status"] for o in rows(db_url, orders)] == ["filled"]


@pytest.mark.slow
def test_an_ambiguous_failure_is_audited_unknown_and_settled_later(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_process_against_alpaca(db_url, tmp_path, monkeypatch) as server:
        server.positions = [p for p in server.positions if p["symbol"] != "BTCUSD"]
        server.lose_order_answers = 1  # the order is taken, its answer lost (503)
        server.script(*[503] * 4, path="/v2/orders:by_client_order_id")  # lookups fail too
        failed = call("close", "AAPL", "--qty", "4", "--yes", "--json")
        assert failed.code == 3
        assert "outcome unknown" in failed.error()["message"]
        (audit,) = rows(db_url, audit_log)
        assert audit["outcome"] == "unknown"
        (order,) = rows(db_url, orders)
        assert order["status"] == "unknown"
        # the next order-placing command settles it first, then places its own
        again = call("close", "AAPL", "--qty", "1", "--yes", "--json")
        assert again.code == 0, again.stderr
        assert server.count("POST", "/v2/orders") == 2  # the lost one was never resent
    first, second = rows(db_url, orders)
    assert (first["status"], first["filled_qty"]) == ("filled", Decimal(4))
    assert second["status"] == "filled"
    outcomes = [a["outcome"] for a in rows(db_url, audit_log)]
    assert outcomes == ["succeeded", "succeeded"]


def test_a_refused_order_is_recorded_rejected(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_process_against_alpaca(db_url, tmp_path, monkeypatch) as server:
        server.positions = [p for p in server.positions if p["symbol"] != "BTCUSD"]
        server.order_replies["AAPL"] = Reply(403, {"code": 40310000, "message": "insufficient qty"})
        assert call("close", "AAPL", "--yes").code == 1
        assert call("orders", "--json").json() == []  # nothing open: rejected is final
    (order,) = rows(db_url, orders)
    assert order["status"] == "rejected"
    assert rows(db_url, fills) == []


def test_orders_a_dead_process_left_are_settled_by_the_next_command(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from pm.domain.pm_orders import OrderIntent

    with in_process_against_alpaca(db_url, tmp_path, monkeypatch) as server:
        assert call("reconcile", "--force").code == 0
        account_id = server.account["id"]
        with open_database(db_url) as db:  # what a process killed mid close-all leaves behind
            _, (reached, lost) = db.repository().orders.begin(
                account_id=account_id,
                action="close-all",
                arguments={},
                os_user="me",
                host="box",
                at=datetime.now(UTC),
                origin="close-all",
                origin_ref=None,
                intents=[
                    OrderIntent("AAPL", "sell", qty=Decimal(4)),
                    OrderIntent("TSLA", "buy", qty=Decimal(5)),
                ],
            )
        # the broker got the first order before the process died, never the second
        server._submit(
            {"client_order_id": reached.client_order_id, "symbol": "AAPL", "side": "sell",
             "qty": "4"}
        )  # fmt: skip
        listed = call("orders", "--status", "all", "--json")
        assert listed.code == 0, listed.stderr
        assert server.count("POST") == 0  # settling looks up, never sends
        run = call("reconcile", "--force", "--json").json()
    by_cid = {o["client_order_id"]: o for o in listed.json()}
    assert by_cid[reached.client_order_id]["status"] == "filled"
    reached_id = by_cid[reached.client_order_id]["broker_order_id"]
    assert by_cid[lost.client_order_id]["status"] == "not_sent"
    (audit,) = rows(db_url, audit_log)
    assert audit["outcome"] == "partial"
    assert audit["outcome_details"]["settled"] is True
    (fill,) = [f for f in rows(db_url, fills) if f["broker_order_id"] == reached_id]
    assert (fill["symbol"], fill["qty"]) == ("AAPL", Decimal(4))
    assert (run["added"], run["removed"], run["conflicts"]) == (0, 0, 0)


def test_an_order_taken_then_rejected_fails_the_close(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_process_against_alpaca(db_url, tmp_path, monkeypatch) as server:
        server.positions = [p for p in server.positions if p["symbol"] != "BTCUSD"]
        server.fill_orders = False
        rejected = {**payload("trading/order_rejected"), "symbol": "AAPL", "side": "sell"}
        server.order_replies["AAPL"] = Reply(200, rejected)
        done = call("close", "AAPL", "--yes", "--json")
    assert done.code == 1
    assert "rejected by the broker" in done.error()["message"]
    (order,) = rows(db_url, orders)
    assert order["status"] == "rejected"
    (audit,) = rows(db_url, audit_log)
    assert audit["outcome"] == "failed"

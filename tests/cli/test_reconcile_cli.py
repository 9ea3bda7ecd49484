"""`pm reconcile` (+ status, history, conflicts) and `pm book` through the real entry point."""

from __future__ import annotations

from decimal import Decimal

import pytest
from freezegun import freeze_time

from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import FakeAlpaca

RUN_FIELDS = [
    "account_id",
    "run_id",
    "status",
    "trigger",
    "started_at",
    "duration_ms",
    "added",
    "removed",
    "updated",
    "conflicts",
    "error",
]


def test_reconcile_json_is_exactly_the_run_record(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    out = pm("reconcile", "--json")
    assert out.code == 0, out.stderr
    run = out.json()
    assert list(run) == RUN_FIELDS
    assert (run["status"], run["trigger"], run["added"], run["error"]) == (
        "completed",
        "manual",
        3,
        None,
    )
    assert run["started_at"].endswith("Z")
    assert alpaca.count("GET", "/v2/positions") == 1


def test_not_due_is_skipped_with_exit_0_and_force_bypasses(
    pm: PmRunner, alpaca: FakeAlpaca
) -> None:
    with freeze_time("2026-03-02T14:30:00Z", tick=True):
        assert pm("reconcile", "--json").code == 0
    with freeze_time("2026-03-02T14:33:00Z", tick=True):
        out = pm("reconcile", "--json")
        assert out.code == 0
        skipped = out.json()
        assert skipped["status"] == "skipped"
        # due five minutes after the first run started (the clock ticks: allow it a moment)
        due = skipped["error"].removeprefix("not due until ")[:19]
        assert "2026-03-02T14:35:00" <= due < "2026-03-02T14:35:30", skipped["error"]
        forced = pm("reconcile", "--force", "--json").json()
        assert (forced["status"], forced["trigger"]) == ("completed", "forced")
    with freeze_time("2026-03-02T14:39:00Z", tick=True):
        assert pm("reconcile", "--json").json()["status"] == "completed"
        assert pm("reconcile", "--scheduled", "--force", "--json").json()["trigger"] == (
            "scheduled"
        )


def test_interval_setting_accepts_a_duration(pm: PmRunner, alpaca: FakeAlpaca, monkeypatch):
    monkeypatch.setenv("PM_RECONCILE_INTERVAL", "1h")
    with freeze_time("2026-03-02T14:30:00Z", tick=True):
        pm("reconcile", "--json")
    with freeze_time("2026-03-02T15:10:00Z", tick=True):
        assert pm("reconcile", "--json").json()["status"] == "skipped"
        status = pm("reconcile", "status", "--json").json()
        assert status["interval_s"] == 3600
        assert status["next_due_at"].startswith("2026-03-02T15:30:00")


@pytest.mark.slow
def test_broker_outage_records_failed_run_and_exits_3(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    assert pm("reconcile", "--json").code == 0
    alpaca.positions = alpaca.positions[:1]
    alpaca.fail_with(503)
    out = pm("--timeout", "2", "reconcile", "--force", "--json")
    assert out.code == 3
    assert out.json()["status"] == "failed"
    assert out.error()["error"] == "BrokerUnavailable"
    alpaca.fail_with(None)
    book = pm("book", "list", "--json").json()
    assert len(book) == 3  # untouched by the failed run
    history = pm("reconcile", "history", "--json").json()
    assert [r["status"] for r in history] == ["failed", "completed"]


def test_database_failure_exits_6(pm: PmRunner, alpaca: FakeAlpaca, monkeypatch) -> None:
    monkeypatch.setenv("PM_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    out = pm("reconcile", "--json")
    assert out.code == 6
    assert out.error()["error"] == "DatabaseError"


def test_status_history_conflicts(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    assert pm("reconcile", "status").code == 4  # nothing known yet
    pm("reconcile", "--json")
    alpaca.positions[0] = {**alpaca.positions[0], "qty": "12"}
    pm("reconcile", "--force", "--json")
    status = pm("reconcile", "status", "--json").json()
    assert list(status) == [
        "account_id",
        "running",
        "due_now",
        "next_due_at",
        "interval_s",
        "last_completed_at",
        "last_run",
    ]
    assert status["running"] is False
    assert status["due_now"] is False
    assert status["last_run"]["conflicts"] == 1
    conflicts = pm("reconcile", "conflicts", "--json").json()
    assert [(c["symbol"], c["book_qty"], c["broker_qty"]) for c in conflicts] == [
        ("AAPL", Decimal(10), Decimal(12))
    ]
    assert conflicts[0]["resolution"] == "broker_wins"
    assert len(pm("reconcile", "history", "--json", "--limit", "1").json()) == 1
    assert pm("reconcile", "history", "--json", "--since", "2999-01-01").json() == []
    table = pm("reconcile", "history")
    assert "completed" in table.stdout


def test_book_crud_and_the_next_reconcile_sees_manual_edits(
    pm: PmRunner, alpaca: FakeAlpaca
) -> None:
    assert pm("book", "list").code == 4  # no account known yet
    pm("reconcile", "--json")
    rows = {r["symbol"]: r for r in pm("book", "list", "--json").json()}
    assert rows["AAPL"]["strategy_id"] is None
    aapl = rows["AAPL"]["id"]

    added = pm(
        "book",
        "add",
        "--symbol",
        "nvda",
        "--qty",
        "2",
        "--entry-price",
        "100.5",
        "--side",
        "short",
        "--strategy-id",
        "s1",
        "--json",
    )
    assert added.code == 0, added.stderr
    nvda = added.json()
    assert (nvda["symbol"], nvda["qty"], nvda["side"], nvda["strategy_id"]) == (
        "NVDA",
        Decimal(-2),
        "short",
        "s1",
    )
    assert pm("book", "show", str(nvda["id"]), "--json").json()["cost_basis"] == Decimal("-201.0")

    edited = pm("book", "edit", str(aapl), "--qty", "7", "--json").json()
    assert edited["qty"] == Decimal(7)

    run = pm("reconcile", "--force", "--json").json()
    assert (run["removed"], run["conflicts"]) == (1, 1)
    after = {r["symbol"]: r for r in pm("book", "list", "--closed", "--json").json()}
    assert after["AAPL"]["qty"] == Decimal(10)
    assert after["NVDA"]["status"] == "closed"
    assert "NVDA" not in {r["symbol"] for r in pm("book", "list", "--json").json()}


def test_book_validation_writes_nothing(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    pm("reconcile", "--json")
    before = pm("book", "list", "--closed", "--json").stdout
    bad = [
        ("add", "--symbol", "b@d", "--qty", "1", "--entry-price", "1"),
        ("add", "--symbol", "X", "--qty", "0", "--entry-price", "1"),
        ("add", "--symbol", "X", "--qty", "-1", "--entry-price", "1"),
        ("add", "--symbol", "X", "--qty", "1", "--entry-price", "abc"),
        ("add", "--symbol", "X", "--qty", "1", "--entry-price", "1", "--side", "sideways"),
        ("add", "--symbol", "AAPL", "--qty", "1", "--entry-price", "1"),  # already open
        ("edit", "1"),  # nothing to change
        ("edit", "1", "--qty", "nope"),
    ]
    for args in bad:
        out = pm("book", *args, "--json")
        assert out.code == 2, (args, out.stderr)
        assert out.error()["error"] in ("BadInput", "UsageError")
    for args in (("show", "999"), ("edit", "999", "--qty", "1"), ("rm", "999", "--yes")):
        assert pm("book", *args).code == 4
    assert pm("book", "list", "--closed", "--json").stdout == before


def test_book_rm_needs_yes_off_a_terminal(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    pm("reconcile", "--json")
    first = pm("book", "list", "--json").json()[0]
    refused = pm("book", "rm", str(first["id"]))
    assert refused.code == 2
    assert len(pm("book", "list", "--json").json()) == 3
    done = pm("book", "rm", str(first["id"]), "--yes", "--json")
    assert done.code == 0
    assert done.json()["id"] == first["id"]
    assert pm("book", "show", str(first["id"])).code == 4
    # the next reconcile puts the broker's position back, as an unknown-origin row
    assert pm("reconcile", "--force", "--json").json()["added"] == 1


def test_demo_reconcile_and_book(pm: PmRunner) -> None:
    out = pm("--demo", "reconcile", "--json")
    assert out.code == 0, out.stderr
    assert out.json()["added"] == 17  # the demo's dust lot is dropped
    assert len(pm("--demo", "book", "list", "--json").json()) == 17

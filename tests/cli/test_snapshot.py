"""`pm snapshot` end to end through the entry point: fields, arithmetic, storage, failures."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.conftest import SECRET_KEY, Outcome, PmRunner
from tests.support.fake_alpaca import FakeAlpaca, Reply, closed_port_url

SNAPSHOT_FIELDS = {
    "account_id",
    "equity",
    "last_equity",
    "cash",
    "buying_power",
    "long_market_value",
    "short_market_value",
    "daily_pl",
    "daily_pl_pct",
    "unrealized_pl",
    "realized_pl",
    "realized_pl_available",
    "realized_pl_from",
    "total_pl",
    "positions_count",
    "long_count",
    "short_count",
    "timestamp",
    "source",
}


def stored_rows(home: Path, table: str) -> int:
    with sqlite3.connect(home / "pm.db") as db:
        return int(db.execute(f"select count(*) from {table}").fetchone()[0])


def test_live_snapshot_json_has_every_field_and_exact_figures(
    pm: PmRunner, alpaca: FakeAlpaca
) -> None:
    result = pm("snapshot", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data) == SNAPSHOT_FIELDS
    assert data["account_id"] == "2f6e8a41-7c3b-4c0e-9a57-3f1d2b7e9c10"
    assert data["equity"] == Decimal("100000")
    assert data["last_equity"] == Decimal("99450")
    assert data["daily_pl"] == Decimal("550")
    assert data["daily_pl_pct"] == Decimal("0.5530")  # 550 / 99450 * 100, to 4 places
    assert data["short_market_value"] == Decimal("-1200")
    assert data["source"]["type"] == "live"
    assert data["source"]["broker"] == "alpaca"
    assert data["timestamp"].endswith("Z")
    assert data["realized_pl"] == 0
    assert data["realized_pl_available"] is False
    assert data["total_pl"] == data["unrealized_pl"]


def test_snapshot_counts_match_positions_without_dust(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    positions = pm("positions", "--json").json()
    data = pm("snapshot", "--json").json()
    assert data["positions_count"] == len(positions)
    assert data["long_count"] == sum(1 for p in positions if p["side"] == "long")
    assert data["short_count"] == sum(1 for p in positions if p["side"] == "short")
    assert data["unrealized_pl"] == sum(p["unrealized_pl"] for p in positions)


def test_snapshot_is_stored_and_listed_by_history(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path
) -> None:
    first = pm("snapshot", "--json").json()
    assert stored_rows(pm_home, "portfolio_snapshots") == 1
    history = pm("history", "--json")
    assert history.code == 0, history.stderr
    rows = history.json()
    assert len(rows) == 1
    assert rows[0]["equity"] == first["equity"]
    assert rows[0]["timestamp"] == first["timestamp"]
    assert set(rows[0]) == SNAPSHOT_FIELDS | {"positions"}
    assert rows[0]["source"]["type"] == "live"  # as it was when taken; the table says "stored"
    assert {p["symbol"] for p in rows[0]["positions"]} == {"AAPL", "TSLA", "BTCUSD"}
    csv = pm("history", "--csv")
    assert csv.stdout.splitlines()[0].startswith("account_id,timestamp,equity")


def test_snapshot_table_at_a_terminal_shows_the_figures(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    result = pm("snapshot")
    assert result.code == 0, result.stderr
    for label in ("Equity", "100,000.00", "Daily P/L", "+550.00", "Realized P/L", "live"):
        assert label in result.stdout
    assert "no trade history yet" in result.stdout


@pytest.mark.slow
def test_broker_down_exits_3_with_the_error_object_and_writes_nothing(
    pm: PmRunner, pm_home: Path, monkeypatch: pytest.MonkeyPatch, alpaca: FakeAlpaca
) -> None:
    alpaca.stop()
    result = pm("--timeout", "2", "snapshot", "--json")
    assert result.code == 3
    assert result.stdout == ""
    error = result.error()
    assert error["error"] == "BrokerUnavailable"
    assert error["status_code"] == 503
    assert error["source"]["type"] == "unavailable"
    assert error["source"]["broker"] == "alpaca"
    assert error["source"]["last_attempt"].endswith("Z")
    assert stored_rows(pm_home, "portfolio_snapshots") == 0
    assert stored_rows(pm_home, "positions") == 0


@pytest.mark.slow
def test_server_errors_are_retried_then_exit_3_within_the_timeout(
    pm: PmRunner, alpaca: FakeAlpaca
) -> None:
    alpaca.fail_with(503)
    result = pm("--timeout", "2", "snapshot")
    assert result.code == 3
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert alpaca.count("GET", "/v2/account") > 1  # retried, not given up at once


@pytest.mark.slow
def test_rate_limit_honours_retry_after_and_succeeds(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    alpaca.script(Reply(429, headers={"Retry-After": "1"}), path="/v2/account")
    result = pm("snapshot", "--json")
    assert result.code == 0, result.stderr
    account_calls = [r for r in alpaca.requests if r.path == "/v2/account"]
    assert len(account_calls) == 2
    assert account_calls[1].at - account_calls[0].at >= 0.9


def test_rejected_credentials_exit_5_without_the_secret(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    alpaca.fail_with(401)
    result = pm("--debug", "snapshot", "--json")
    assert result.code == 5
    assert result.error()["error"] == "CredentialsError"
    assert SECRET_KEY not in result.stdout + result.stderr


def test_missing_credentials_exit_5_and_suggest_demo(pm: PmRunner) -> None:
    result = pm("snapshot")
    assert result.code == 5
    assert "ALPACA_API_KEY" in result.stderr
    assert "--demo" in result.stderr


@pytest.mark.slow
def test_allow_stale_shows_the_last_snapshot_marked_stale_and_still_exits_3(
    pm: PmRunner, alpaca: FakeAlpaca
) -> None:
    live = pm("snapshot", "--json").json()
    alpaca.stop()
    result = pm("--timeout", "1", "snapshot", "--json", "--allow-stale")
    assert result.code == 3
    stale = result.json()
    assert stale["source"]["type"] == "stale"
    assert stale["source"]["age_seconds"] >= 0
    assert stale["equity"] == live["equity"]
    assert "STALE" in result.stderr
    assert result.error()["error"] == "BrokerUnavailable"


@pytest.mark.slow
def test_allow_stale_with_nothing_stored_exits_3(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    alpaca.stop()
    result = pm("--timeout", "1", "snapshot", "--allow-stale")
    assert result.code == 3
    assert "no stored snapshot" in result.stderr


def test_unreachable_database_exits_6_with_the_password_masked(
    pm: PmRunner, alpaca: FakeAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_DATABASE_URL", "postgresql://trader:hunter2@127.0.0.1:1/book")
    result = pm("snapshot", "--json")
    assert result.code == 6
    assert "hunter2" not in result.stdout + result.stderr
    assert "trader:***@127.0.0.1:1/book" in result.stderr
    assert result.error()["error"] == "DatabaseError"


def test_secrets_never_appear_even_at_debug_level(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    outcomes: list[Outcome] = [
        pm("--debug", "snapshot", "--json"),
        pm("-vv", "positions"),
        pm("config", "show", "--json"),
    ]
    for outcome in outcomes:
        assert outcome.code == 0, outcome.stderr
        assert SECRET_KEY not in outcome.stdout + outcome.stderr


@pytest.mark.slow
def test_refused_connection_fails_fast(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch, alpaca: FakeAlpaca
) -> None:
    monkeypatch.setenv("ALPACA_BASE_URL", closed_port_url())
    result = pm("--timeout", "3", "positions", "--json")
    assert result.code == 3
    assert result.error()["source"]["type"] == "unavailable"

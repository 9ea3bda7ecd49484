"""`pm breaker status|trip|reset`, and the automatic trip on the daily loss."""

from __future__ import annotations

from pathlib import Path

import pytest

from pm.broker.demo.seed import DEMO_ACCOUNT_ID
from tests.cli.conftest import PmRunner
from tests.cli.safety import audit_rows, breaker_row, calm
from tests.support.fake_alpaca import FakeAlpaca

ALPACA_ACCOUNT = "2f6e8a41-7c3b-4c0e-9a57-3f1d2b7e9c10"
BREAKER_FIELDS = {"account_id", "state", "halted", "reason", "changed_by", "changed_at"}


def test_a_new_account_is_active(pm: PmRunner) -> None:
    result = pm("--demo", "breaker", "status", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data) == BREAKER_FIELDS
    assert data["state"] == "ACTIVE"
    assert data["account_id"] == DEMO_ACCOUNT_ID
    assert data["changed_at"] is None


def test_trip_persists_then_status_exits_1_until_reset(pm: PmRunner, pm_home: Path) -> None:
    tripped = pm("--demo", "breaker", "trip", "--reason", "  news  pending ", "--json")
    assert tripped.code == 0, tripped.stderr
    assert tripped.json()["state"] == "HALTED"
    assert tripped.json()["changed"] is True

    status = pm("--demo", "breaker", "status", "--json")
    assert status.code == 1
    data = status.json()
    assert (data["state"], data["reason"]) == ("HALTED", "news pending")
    assert "@" in data["changed_by"]
    assert data["changed_at"].endswith("Z")
    assert status.error()["error"] == "CheckFailed"
    assert breaker_row(pm_home, DEMO_ACCOUNT_ID)["state"] == "HALTED"  # type: ignore[index]

    again = pm("--demo", "breaker", "trip", "--reason", "other", "--json")
    assert again.json()["changed"] is False
    assert again.json()["reason"] == "news pending"  # the first trip stays

    refused = pm("--demo", "breaker", "reset")
    assert refused.code == 2
    assert "--yes" in refused.stderr
    assert pm("--demo", "breaker", "status").code == 1  # still halted

    reset = pm("--demo", "breaker", "reset", "--yes", "--json")
    assert reset.code == 0, reset.stderr
    assert reset.json()["state"] == "ACTIVE"
    assert pm("--demo", "breaker", "status").code == 0

    actions = [(r["action"], r["outcome"]) for r in audit_rows(pm_home)]
    assert actions == [
        ("breaker-trip", "succeeded"),
        ("breaker-trip", "succeeded"),
        ("breaker-reset", "succeeded"),
    ]


def test_reset_at_a_terminal_asks(pm: PmRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pm.cli.confirm.stdin_is_terminal", lambda: True)
    pm("--demo", "breaker", "trip", "--reason", "x")
    declined = pm("--demo", "breaker", "reset", input="n\n")
    assert declined.code == 2
    assert "not confirmed" in declined.stderr
    assert pm("--demo", "breaker", "status").code == 1
    accepted = pm("--demo", "breaker", "reset", input="y\n")
    assert accepted.code == 0, accepted.stderr
    assert pm("--demo", "breaker", "status").code == 0


def test_trip_needs_a_reason(pm: PmRunner) -> None:
    assert pm("--demo", "breaker", "trip", "--reason", "  ").code == 2
    assert pm("--demo", "breaker", "trip").code == 2


def test_daily_loss_over_the_limit_trips_it_during_validation(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path
) -> None:
    calm(alpaca)
    alpaca.account = {**alpaca.account, "equity": "94000", "last_equity": "100000"}  # -6 %
    result = pm("validate", "AAPL", "--side", "buy", "--qty", "1", "--json")
    assert result.code == 1
    data = result.json()
    assert data["circuit_breaker_tripped_now"] is True
    assert data["circuit_breaker"] == "HALTED"
    assert not data["daily_loss_ok"]
    assert not data["circuit_breaker_ok"]
    row = breaker_row(pm_home, ALPACA_ACCOUNT)
    assert row is not None
    assert row["state"] == "HALTED"
    assert row["reason"] == "automatic: daily loss 6 % exceeds the 5 % limit"

    # the loss recovers, but only reset clears the breaker
    alpaca.account = {**alpaca.account, "equity": "100000"}
    assert pm("breaker", "status").code == 1
    assert pm("validate", "AAPL", "--side", "buy", "--qty", "1").code == 1
    assert pm("breaker", "reset", "--yes").code == 0
    assert pm("validate", "AAPL", "--side", "buy", "--qty", "1").code == 0


def test_a_loss_at_the_limit_does_not_trip(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    calm(alpaca)
    alpaca.account = {**alpaca.account, "equity": "95000", "last_equity": "100000"}
    result = pm("validate", "AAPL", "--side", "buy", "--qty", "1", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["circuit_breaker"] == "ACTIVE"
    assert pm("breaker", "status").code == 0


def test_the_daily_loss_limit_is_a_setting(
    pm: PmRunner, alpaca: FakeAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    calm(alpaca)
    alpaca.account = {**alpaca.account, "equity": "94000", "last_equity": "100000"}
    monkeypatch.setenv("PM_MAX_DAILY_LOSS_PCT", "7")
    result = pm("validate", "AAPL", "--side", "buy", "--qty", "1", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["circuit_breaker"] == "ACTIVE"


def test_a_critical_risk_level_trips_it_during_validation(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path
) -> None:
    # the fake's book: BTCUSD is 32 % of equity, so a position and the Crypto sector are
    # both over their limits: CRITICAL by the rule table
    result = pm("validate", "AAPL", "--side", "buy", "--qty", "1", "--json")
    assert result.code == 1
    data = result.json()
    assert data["risk_level"] == "CRITICAL"
    assert data["circuit_breaker_tripped_now"] is True
    assert breaker_row(pm_home, ALPACA_ACCOUNT)["reason"] == "automatic: risk level CRITICAL"  # type: ignore[index]
    # closing the risky position is still allowed
    sell = pm("validate", "BTCUSD", "--side", "sell", "--qty", "0.5", "--json")
    assert sell.code == 0, sell.stderr
    assert sell.json()["reducing"] is True


def test_a_calm_book_is_not_tripped(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    calm(alpaca)
    data = pm("validate", "AAPL", "--side", "buy", "--qty", "1", "--json").json()
    assert data["risk_level"] == "LOW"
    assert data["circuit_breaker"] == "ACTIVE"

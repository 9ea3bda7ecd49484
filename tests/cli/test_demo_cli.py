"""`pm demo reset`: confirmation, exit codes, and the starting account restored."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pm.broker.demo.seed import DEMO_ACCOUNT_ID, SEED_CASH
from tests.cli.conftest import PmRunner


def account(pm: PmRunner) -> dict[str, Decimal]:
    out = pm("--demo", "snapshot", "--json")
    assert out.code == 0, out.stderr
    return {k: out.json()[k] for k in ("equity", "last_equity", "cash", "positions_count")}


def test_reset_restores_the_starting_account(pm: PmRunner) -> None:
    start = account(pm)
    assert pm("--demo", "close-all", "--emergency", "--yes").code == 0
    assert account(pm)["positions_count"] == 0

    out = pm("demo", "reset", "--yes", "--json")  # works without --demo: it is the demo's
    assert out.code == 0, out.stderr
    data = out.json()
    assert data["account_id"] == DEMO_ACCOUNT_ID
    assert data["cash"] == SEED_CASH
    assert account(pm) == start
    assert "SIMULATED" in out.stderr
    (entry,) = [e for e in pm("--demo", "audit", "--json").json() if e["action"] == "demo-reset"]
    assert (entry["account_id"], entry["outcome"]) == (DEMO_ACCOUNT_ID, "succeeded")
    assert entry["outcome_details"]["cash"] == str(SEED_CASH)


def test_reset_refuses_without_yes_off_a_terminal(pm: PmRunner) -> None:
    assert pm("--demo", "close", "AAPL", "--yes").code == 0
    before = account(pm)
    out = pm("demo", "reset", "--json")
    assert out.code == 2
    assert (out.error()["error"], out.error()["reason"]) == ("BadInput", "NotConfirmed")
    assert account(pm) == before
    audit = pm("--demo", "audit", "--json").json()
    assert [e["action"] for e in audit if e["action"] == "demo-reset"] == []  # not authorised


def test_at_a_terminal_it_asks(pm: PmRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pm.cli.confirm.stdin_is_terminal", lambda: True)
    assert pm("--demo", "close", "AAPL", "--yes").code == 0
    before = account(pm)
    assert pm("demo", "reset", input="n\n").code == 2
    assert account(pm) == before
    answered = pm("demo", "reset", input="y\n")
    assert answered.code == 0, answered.stderr
    assert "reset: equity" in answered.stdout
    assert account(pm)["cash"] == SEED_CASH


def test_a_sale_leaves_last_equity_and_the_days_pl(pm: PmRunner) -> None:
    before = account(pm)
    assert pm("--demo", "close", "AAPL", "--yes").code == 0
    after = account(pm)
    assert after["last_equity"] == before["last_equity"]
    assert abs(after["equity"] - before["equity"]) < Decimal("0.01")  # fills move whole cents
    assert after["positions_count"] == before["positions_count"] - 1

"""`pm market` end to end: the demo's hours and Alpaca's clock and calendar."""

from __future__ import annotations

from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import FakeAlpaca

FIELDS = {"is_open", "timestamp", "next_open", "next_close", "session", "next_session", "source"}


def test_demo_market(pm: PmRunner) -> None:
    result = pm("--demo", "market", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data) == FIELDS
    assert data["source"]["broker"] == "demo"
    assert data["next_open"] > data["timestamp"]
    assert set(data["next_session"]) == {"date", "open", "close", "early_close"}


def test_alpaca_market(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    result = pm("market", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["is_open"] is True
    assert data["session"] == {
        "date": "2024-11-25",
        "open": "2024-11-25T14:30:00Z",
        "close": "2024-11-25T21:00:00Z",
        "early_close": False,
    }
    assert data["source"]["type"] == "live"
    table = pm("market")
    assert "OPEN" in table.stdout
    assert "2024-11-25 09:30-16:00 New York" in table.stdout

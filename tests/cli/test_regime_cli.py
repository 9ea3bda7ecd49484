"""`pm regime` end to end: the demo, no key, a fake FRED, and the emergency stop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pm.broker.demo.seed import DEMO_ACCOUNT_ID
from pm.broker.fred import client as fred_client
from pm.db.engine import open_database
from pm.domain.regime import Observation
from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import FakeAlpaca
from tests.support.fake_fred import FakeFred

FIELDS = {
    "regime",
    "multiplier",
    "rule",
    "vix",
    "vix_date",
    "spread_10y2y",
    "spread_10y2y_date",
    "spread_10y3m",
    "spread_10y3m_date",
    "unemployment",
    "unemployment_date",
    "reasons",
    "source",
    "cached",
    "stale",
    "fetched_at",
    "age_seconds",
    "emergency_stop",
    "emergency_vix",
    "breaker_tripped",
}
ALPACA_ACCOUNT = "2f6e8a41-7c3b-4c0e-9a57-3f1d2b7e9c10"


@pytest.fixture
def fred(pm_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFred]:
    """A fake FRED with FRED_API_KEY and FRED_API_URL pointing at it; no 1 s spacing."""
    monkeypatch.setattr(fred_client.PROCESS_LIMITER, "min_interval_s", 0.0)
    with FakeFred() as server:
        monkeypatch.setenv("FRED_API_KEY", server.key)
        monkeypatch.setenv("FRED_API_URL", server.base_url)
        yield server


def test_demo_regime_offline_and_deterministic(pm: PmRunner) -> None:
    first = pm("--demo", "regime", "--json")
    assert first.code == 0, first.stderr
    data = first.json()
    assert set(data) == FIELDS
    assert data["source"] == "demo"
    assert data["regime"] in {"bullish", "bearish", "sideways", "volatile"}
    assert data["vix"] is not None
    assert data["vix_date"] is not None
    assert data["cached"] is False
    second = pm("--demo", "regime", "--json").json()
    assert second["cached"] is True  # within PM_REGIME_TTL: from the cache
    assert second["vix"] == data["vix"]
    assert second["regime"] == data["regime"]


def test_no_key_is_unknown_with_a_hint_and_exit_0(pm: PmRunner) -> None:
    result = pm("regime", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["regime"] == "unknown"
    assert data["multiplier"] == Decimal("1.0")
    assert data["vix"] is None
    assert "FRED_API_KEY" in result.stderr


def test_against_fred(pm: PmRunner, fred: FakeFred) -> None:
    result = pm("regime", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert (data["regime"], data["vix"], data["vix_date"]) == (
        "bullish",
        Decimal("12.77"),
        "2024-12-06",
    )
    assert data["spread_10y2y"] == Decimal("0.05")
    assert fred.count() == 4
    assert fred.key not in result.stdout + result.stderr
    again = pm("regime", "--json")
    assert again.json()["cached"] is True
    assert fred.count() == 4  # the cache answered


def test_fred_down_first_time_is_unknown_exit_0(pm: PmRunner, fred: FakeFred) -> None:
    fred.fail_with(503)
    result = pm("--timeout", "2", "regime", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["regime"] == "unknown"
    assert "FRED unavailable" in result.stderr


def test_emergency_stop_trips_the_breaker(pm: PmRunner, fred: FakeFred, alpaca: FakeAlpaca) -> None:
    fred.series["VIXCLS"] = [("2024-12-06", "36.20")]
    result = pm("regime", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["emergency_stop"] is True
    assert data["breaker_tripped"] is True
    status = pm("breaker", "status", "--json")
    assert status.code == 1
    assert status.json()["reason"] == "automatic: VIX 36.20 > 35"
    assert status.json()["account_id"] == ALPACA_ACCOUNT


def test_validation_trips_on_the_cached_vix(pm: PmRunner, pm_home: Path) -> None:
    with open_database(f"sqlite:///{pm_home / 'pm.db'}") as db:
        db.repository().macro.save(
            "demo",
            [Observation("VIXCLS", date(2024, 12, 6), Decimal("41.5"))],
            datetime.now(UTC),
        )
    result = pm("--demo", "validate", "AAPL", "--side", "buy", "--qty", "1", "--json")
    assert result.code == 1
    status = pm("--demo", "breaker", "status", "--json").json()
    assert status["reason"] == "automatic: VIX 41.50 > 35"
    assert status["account_id"] == DEMO_ACCOUNT_ID


def test_watch_runs_the_regime_job(pm: PmRunner) -> None:
    result = pm("--demo", "watch", "--once", "--json")
    assert result.code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if '"job": "regime"' in line]
    assert len(lines) == 1
    assert '"regime": {"regime": ' in lines[0]


def test_the_key_never_reaches_debug_logs(pm: PmRunner, fred: FakeFred) -> None:
    result = pm("--debug", "regime", "--json")
    assert result.code == 0, result.stderr
    assert "/fred/series/observations" in result.stderr  # urllib3 logged the request ...
    assert fred.key not in result.stdout + result.stderr  # ... with the key scrubbed


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_key_is_no_key(
    pm: PmRunner, fred: FakeFred, monkeypatch: pytest.MonkeyPatch, blank: str
) -> None:
    """`FRED_API_KEY=$UNSET`: not sent to FRED to be refused (and a key of spaces scrubbed out
    of every message as '***'), but the no-key case with its hint."""
    monkeypatch.setenv("FRED_API_KEY", blank)
    result = pm("regime", "--json")
    assert result.code == 0
    assert result.json()["reasons"] == ["no FRED_API_KEY"]
    assert "set FRED_API_KEY" in result.stderr
    assert fred.count() == 0

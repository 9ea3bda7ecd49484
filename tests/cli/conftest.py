"""Run the real `pm` entry point in-process, with an isolated environment and database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.fake_alpaca import FakeAlpaca
from tests.support.pm_cli import Outcome, call, isolate

API_KEY = "PKTESTKEYID0000000001"
SECRET_KEY = "sEcReT-do-not-print-0123456789abcdef"


PmRunner = Callable[..., Outcome]


@pytest.fixture
def pm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment: no credentials, no config file, a fresh SQLite file."""
    isolate(monkeypatch, tmp_path)
    return tmp_path


@pytest.fixture
def pm(pm_home: Path) -> PmRunner:
    """Call `pm ARGS...` through the real entry point; stdin is not a terminal."""
    return call


# The rebalance tests' policy `core`: 5 % each of AAPL, MSFT and XOM, the rest cash.
CORE_POLICY = ("--target", "AAPL=5", "--target", "MSFT=5", "--target", "XOM=5", "--cash-pct", "85")


@pytest.fixture
def demo_policy(pm: PmRunner) -> None:
    """The demo account with `core` created and active."""
    made = pm("--demo", "policy", "create", "core", *CORE_POLICY)
    assert made.code == 0, made.stderr
    assert pm("--demo", "policy", "activate", "core").code == 0


@pytest.fixture
def alpaca(pm_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAlpaca]:
    """A local Alpaca stand-in for both the trading and the data API, with pm's credentials
    and URLs pointed at it (so no test can reach the real Alpaca)."""
    with FakeAlpaca() as server:
        monkeypatch.setenv("ALPACA_API_KEY", API_KEY)
        monkeypatch.setenv("ALPACA_SECRET_KEY", SECRET_KEY)
        monkeypatch.setenv("ALPACA_BASE_URL", server.base_url)
        monkeypatch.setenv("ALPACA_DATA_URL", server.base_url)
        yield server

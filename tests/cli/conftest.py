"""Run the real `pm` entry point in-process, with an isolated environment and database."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pm.cli.main import run
from tests.support.fake_alpaca import FakeAlpaca

API_KEY = "PKTESTKEYID0000000001"
SECRET_KEY = "sEcReT-do-not-print-0123456789abcdef"


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout as JSON, numbers as Decimal (exactly what was written)."""
        return json.loads(self.stdout, parse_float=Decimal, parse_int=Decimal)

    def error(self) -> dict[str, Any]:
        """The JSON error object: the last line of stderr."""
        return json.loads(self.stderr.strip().splitlines()[-1])


PmRunner = Callable[..., Outcome]


@pytest.fixture
def pm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment: no credentials, no config file, a fresh SQLite file."""
    for name in list(os.environ):
        if name.startswith(("ALPACA_", "APCA_", "PM_", "FRED_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no config file there
    monkeypatch.setenv("PM_DATABASE_URL", f"sqlite:///{tmp_path / 'pm.db'}")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture
def pm(pm_home: Path) -> PmRunner:
    """Call `pm ARGS...` through the real entry point; stdin is not a terminal."""
    runner = CliRunner()

    def call(*args: str, input: str | None = None) -> Outcome:
        with runner.isolation(input=input) as (out, err, _):
            code = run(list(args))
            return Outcome(code, out.getvalue().decode(), err.getvalue().decode())

    return call


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

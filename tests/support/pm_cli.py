"""Run the real `pm` entry point in-process, in an environment of its own.

with isolated_env(monkeypatch, tmp_path):
    done = call("--demo", "snapshot", "--json")
    done.code, done.json(), done.error()
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pm.cli.main import run


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


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """No credentials, no config file, a SQLite file in `home`."""
    for name in list(os.environ):
        if name.startswith(("ALPACA_", "APCA_", "PM_", "FRED_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))  # no config file there
    monkeypatch.setenv("PM_DATABASE_URL", f"sqlite:///{home / 'pm.db'}")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))


@contextmanager
def isolated_env(home: Path) -> Iterator[None]:
    """`isolate` for fixtures wider than one test (no function-scoped monkeypatch there)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, home)
        yield


def call(*args: str, input: str | None = None) -> Outcome:
    """`pm ARGS...` through the real entry point; stdin is not a terminal."""
    with CliRunner().isolation(input=input) as (out, err, _):
        code = run(list(args))
        return Outcome(code, out.getvalue().decode(), err.getvalue().decode())

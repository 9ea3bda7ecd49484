"""The installed `pm` console script (and `python -m pm`), run as a user's shell would.

Each test gets its own database, config path and data directory, and an environment with
every ALPACA_*/APCA_*/PM_*/FRED_* variable removed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pm import __version__

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PM_SCRIPT = Path(sys.executable).parent / "pm"
EXIT_CREDENTIALS = 5


@pytest.fixture(scope="module")
def pm_script() -> Path:
    if not PM_SCRIPT.exists():
        pytest.skip(f"no installed `pm` console script at {PM_SCRIPT} (run `uv sync` first)")
    return PM_SCRIPT


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALPACA_", "APCA_", "PM_", "FRED_", "_PM_"))
    }
    clean.update(
        PM_DATABASE_URL=f"sqlite:///{tmp_path / 'pm.db'}",
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # no config file
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    return clean


def run(cmd: list[str | Path], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_version(pm_script: Path, env: dict[str, str]) -> None:
    done = run([pm_script, "--version"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"pm {__version__}"


def test_python_dash_m_pm_version(env: dict[str, str]) -> None:
    done = run([sys.executable, "-m", "pm", "--version"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"pm {__version__}"


def test_demo_snapshot_json(pm_script: Path, env: dict[str, str]) -> None:
    done = run([pm_script, "--demo", "snapshot", "--json"], env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout, parse_float=Decimal)
    assert data["source"]["type"] == "simulated"
    assert data["equity"] == (data["cash"] + data["long_market_value"] + data["short_market_value"])
    assert "SIMULATED" in done.stderr


def test_demo_positions_csv_has_a_header_row(pm_script: Path, env: dict[str, str]) -> None:
    done = run([pm_script, "--demo", "positions", "--csv"], env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = lines[0].split(",")
    assert {"symbol", "qty", "side", "market_value"} <= set(header)
    assert len(lines) > 1
    assert all(len(line.split(",")) == len(header) for line in lines[1:])


def test_snapshot_without_credentials_exits_5(pm_script: Path, env: dict[str, str]) -> None:
    done = run([pm_script, "snapshot"], env)
    assert done.returncode == EXIT_CREDENTIALS
    assert done.stdout == ""
    assert "ALPACA_API_KEY" in done.stderr
    assert "--demo" in done.stderr
    assert "Traceback" not in done.stderr


def test_json_pipeline_stays_pure_at_debug_log_level(pm_script: Path, env: dict[str, str]) -> None:
    """`pm --demo snapshot --json | <json reader>` with PM_LOG_LEVEL=debug: logs on stderr."""
    env = {**env, "PM_LOG_LEVEL": "debug"}
    reader = "import json, sys; d = json.load(sys.stdin); print(d['source']['type'])"
    with subprocess.Popen(
        [str(pm_script), "--demo", "snapshot", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as producer:
        assert producer.stdout is not None
        consumer = subprocess.run(
            [sys.executable, "-c", reader],
            stdin=producer.stdout,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        producer.stdout.close()
        assert producer.stderr is not None
        stderr = producer.stderr.read().decode()
        assert producer.wait(timeout=60) == 0, stderr
    assert consumer.returncode == 0, f"stdout was not pure JSON: {consumer.stderr}"
    assert consumer.stdout.strip() == "simulated"
    assert "SIMULATED" in stderr
    # The first use of the database migrates it and logs that: on stderr, not in the pipe.
    assert len(stderr.strip().splitlines()) > 1, stderr


def test_a_reader_that_goes_away_is_not_an_error(
    pm_script: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """`pm ... | true`: the reader is gone before pm writes; pm ends quietly with 0 and the
    book sync still runs."""
    shell = f"'{pm_script}' --demo positions --csv | true"
    done = run(["bash", "-o", "pipefail", "-c", shell], env)
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr
    with sqlite3.connect(tmp_path / "pm.db") as db:
        count = db.execute("select count(*) from positions").fetchone()[0]
        assert count == 17  # the demo's positions, its dust lot dropped


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--demo", "positions", "--json"], 0), (["--demo", "positions", "show", "NOPE"], 4)],
)
def test_the_database_is_closed_at_exit(
    pm_script: Path, env: dict[str, str], tmp_path: Path, args: list[str], code: int
) -> None:
    """pm closes its database's connections before it exits (the exit skips the collector's
    walk of the heap, so nothing is left for it to close), after a success and after an
    error: SQLite folds its write-ahead log back into the file, and no -wal file is left."""
    done = run([pm_script, *args], env)
    assert done.returncode == code, done.stderr
    assert (tmp_path / "pm.db").exists()
    assert not (tmp_path / "pm.db-wal").exists()

"""Shared helpers for the benchmarks: clean subprocess environments, best-of-N wall times,
import-time breakdowns for failure messages, and a "Performance" table printed at the end.

Every benchmark asserts its target as a ratio against a baseline measured in the same run
(except parsing, whose target is absolute), so the default suite (timing disabled) still
checks it. `uv run pytest tests/benchmarks --benchmark-enable` runs more rounds, prints
pytest-benchmark's statistics plus the table, and writes the figures to
.benchmarks/figures.json, from which `uv run python -m tests.benchmarks.readme` rewrites the
README's Performance table.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks import readme
from tests.support.fake_alpaca import FakeAlpaca

API_KEY = "PKBENCHKEY0000000001"
SECRET_KEY = "bench-secret-0123456789abcdef0123456789"

# What a user would write with alpaca-py for the same two calls `pm snapshot` makes.
BARE_ALPACA_SCRIPT = """\
import os
from alpaca.trading.client import TradingClient
c = TradingClient(os.environ["ALPACA_API_KEY"], os.environ["ALPACA_SECRET_KEY"],
                  raw_data=True, url_override=os.environ["ALPACA_BASE_URL"])
print(c.get_account())
print(c.get_all_positions())
"""

PM_SNAPSHOT = (sys.executable, "-m", "pm", "snapshot", "--json")


@dataclass(frozen=True)
class Figure:
    benchmark: str  # file.py::test_name
    name: str
    measured: str
    target: str
    ok: bool


_FIGURES = pytest.StashKey[list[Figure]]()


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The inherited environment without ALPACA_*/PM_*/FRED_*, pointed at `home`.

    PYTHONDONTWRITEBYTECODE goes too: an installed pm runs from cached bytecode, and a
    benchmark that recompiled every module on each run would measure the compiler."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALPACA_", "APCA_", "PM_", "FRED_", "_PM_"))
        and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),  # no config file
        PM_DATABASE_URL=f"sqlite:///{home / 'pm.db'}",
        XDG_DATA_HOME=str(home / "data"),
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def run_ok(cmd: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        list(cmd), env=dict(env), capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"{cmd} exited {done.returncode}:\n{done.stderr[-2000:]}"
    return done


def wall(cmd: Sequence[str], env: Mapping[str, str]) -> float:
    """Wall time of one successful run of `cmd`, in seconds."""
    start = time.perf_counter()
    run_ok(cmd, env)
    return time.perf_counter() - start


def cpu(cmd: Sequence[str], env: Mapping[str, str]) -> float:
    """CPU seconds (user + system) of one successful run of `cmd`.

    CPU, unlike wall time, hardly moves when other work shares the machine.
    """
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(list(cmd), env=dict(env), stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        assert code == 0, f"{cmd} exited {code}:\n{err.read()[-2000:].decode()}"
    return usage.ru_utime + usage.ru_stime


def cpu_best(cmds: Sequence[Sequence[str]], env: Mapping[str, str], n: int) -> list[float]:
    """Best-of-n CPU seconds of each of `cmds`, their runs interleaved."""
    best = [float("inf")] * len(cmds)
    for _ in range(n):
        best = [min(b, cpu(cmd, env)) for b, cmd in zip(best, cmds, strict=True)]
    return best


def best_of(cmd: Sequence[str], env: Mapping[str, str], n: int) -> float:
    return min(wall(cmd, env) for _ in range(n))


def sampled(
    benchmark: Any,
    cmd: Sequence[str],
    env: Mapping[str, str],
    n: int,
    into: list[float] | None = None,
) -> float:
    """Best of n wall times of `cmd`, its runs also timed by pytest-benchmark.

    With timing disabled, `benchmark.pedantic` runs once; the rest of the n runs happen here.
    `into` collects the samples (to share them between tests).
    """
    times: list[float] = [] if into is None else into

    def once() -> None:
        times.append(wall(cmd, env))

    benchmark.pedantic(once, rounds=n, iterations=1)
    while len(times) < n:
        once()
    return min(times)


def import_breakdown(cmd: Sequence[str], env: Mapping[str, str], top: int = 10) -> str:
    """`python -X importtime` self time per top-level package, largest first (for messages)."""
    assert cmd[0] == sys.executable
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd[1:]],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    per_package: dict[str, int] = defaultdict(int)
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            per_package[m.group(2).split(".")[0]] += int(m.group(1))
    rows = sorted(per_package.items(), key=lambda kv: -kv[1])[:top]
    total = sum(per_package.values()) / 1000
    lines = [f"  {us / 1000:7.1f} ms  {name}" for name, us in rows]
    return f"imports (self time, total {total:.0f} ms):\n" + "\n".join(lines)


#: Runs of a benchmark after its first failed assertion, before it fails.
RERUNS = 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every benchmark is slow: `pytest -m "not slow"` leaves them out.

    And every benchmark that misses is measured again, `RERUNS` times at most (the machine is
    shared: a burst of other work can push one measurement over its guard); a regression
    misses every time and fails."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.flaky(reruns=RERUNS, only_rerun=["AssertionError"]))


@pytest.fixture
def rounds(benchmark: object) -> Callable[[int, int], int]:
    """rounds(default, enabled): how many runs for best-of-N (more with --benchmark-enable)."""

    def pick(default: int, enabled: int) -> int:
        return enabled if getattr(benchmark, "enabled", False) else default

    return pick


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Callable[[str, str, str, bool], None]:
    """record(name, measured, target, ok): a row of the Performance table."""
    figures = request.config.stash.setdefault(_FIGURES, [])
    benchmark = readme.benchmark_of(request.node.nodeid)

    def add(name: str, measured: str, target: str, ok: bool) -> None:
        figure = Figure(benchmark, name, measured, target, ok)
        # a rerun (see RERUNS) measures again: its figure replaces the earlier one
        figures[:] = [f for f in figures if (f.benchmark, f.name) != (benchmark, name)]
        figures.append(figure)

    return add


def _timed(config: pytest.Config) -> bool:
    """Whether pytest-benchmark timing is on (`--benchmark-enable` over the default off)."""
    return bool(config.getoption("benchmark_enable")) or not config.getoption("benchmark_disable")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    figures = config.stash.get(_FIGURES, [])
    if not figures:
        return
    write = terminalreporter.write_line
    terminalreporter.section("Performance")
    write("| measure | measured | target | |")
    write("|---|---|---|---|")
    for f in figures:
        write(f"| {f.name} | {f.measured} | {f.target} | {'pass' if f.ok else 'FAIL'} |")
    if _timed(config):
        readme.write_figures([asdict(f) for f in figures])
        write(f"figures written to {readme.FIGURES}; `uv run python -m tests.benchmarks.readme`")
        write("puts them into README.md")
    else:
        write("(timing disabled: not written for the README; use --benchmark-enable)")


@dataclass
class BrokerSetup:
    server: FakeAlpaca
    home: Path
    env: dict[str, str]
    snapshot_times: list[float] = field(default_factory=list)

    def snapshot_best(self, n: int) -> float:
        """Best of (at least) n `pm snapshot --json` runs with no delay, shared across tests."""
        while len(self.snapshot_times) < n:
            self.snapshot_times.append(wall(PM_SNAPSHOT, self.env))
        return min(self.snapshot_times)


@pytest.fixture(scope="session")
def fake_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerSetup]:
    """A no-delay fake Alpaca and a SQLite database already migrated by a first snapshot."""
    home = tmp_path_factory.mktemp("bench-broker")
    with FakeAlpaca() as server:
        env = clean_env(
            home,
            ALPACA_API_KEY=API_KEY,
            ALPACA_SECRET_KEY=SECRET_KEY,
            ALPACA_BASE_URL=server.base_url,
        )
        run_ok(PM_SNAPSHOT, env)  # migrates the database; later runs open it as it is
        yield BrokerSetup(server, home, env)

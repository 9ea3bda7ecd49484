"""`pm snapshot` against the alpaca-py script a user would write for the same two calls.

Measures: wall time of `python -m pm snapshot --json` (a subprocess against the local fake
Alpaca, no added delay, database already migrated) against
`python -c "from alpaca.trading.client import TradingClient; ...; print(c.get_account());
print(c.get_all_positions())"` with `raw_data=True, url_override=<fake>`; best of N each.
Target: pm within 1.6x of the bare alpaca-py script.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from tests.benchmarks.conftest import (
    BARE_ALPACA_SCRIPT,
    PM_SNAPSHOT,
    BrokerSetup,
    import_breakdown,
    run_ok,
    sampled,
    wall,
)

RATIO_TARGET = 1.6


def test_snapshot_within_1_6x_of_bare_alpaca_py(
    benchmark, fake_broker: BrokerSetup, rounds: Callable[[int, int], int], record
) -> None:
    n = rounds(2, 5)
    env = fake_broker.env
    bare_cmd = [sys.executable, "-c", BARE_ALPACA_SCRIPT]
    start = time.perf_counter()
    first = run_ok(bare_cmd, env)
    bare_times = [time.perf_counter() - start]
    assert "'equity'" in first.stdout  # the baseline really fetched the account
    bare = min(bare_times + [wall(bare_cmd, env) for _ in range(n - 1)])
    pm = sampled(benchmark, PM_SNAPSHOT, env, n, into=fake_broker.snapshot_times)
    ratio = pm / bare
    ok = ratio < RATIO_TARGET
    record(
        f"`pm snapshot --json` vs bare alpaca-py script, no latency (best of {n})",
        f"{pm * 1000:.0f} ms vs {bare * 1000:.0f} ms = {ratio:.2f}x",
        f"< {RATIO_TARGET:g}x",
        ok,
    )
    assert ok, (
        f"pm snapshot took {pm:.3f}s, {ratio:.2f}x the alpaca-py script ({bare:.3f}s); "
        f"target < {RATIO_TARGET}x\npm: {import_breakdown(list(PM_SNAPSHOT), env)}\n"
        f"alpaca-py: {import_breakdown(bare_cmd, env)}"
    )

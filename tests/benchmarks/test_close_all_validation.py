"""Pre-trade validation of a whole close-all: one reading of the account for every order.

Measures: `services.validate.require_all` over the closing orders of a 500-position account
(in-memory breaker and sector stores, account and positions passed in: no broker), against
the baseline of validating the same orders one at a time with `validate`, which is what
close-all did before: each call re-reads the breaker, re-resolves sectors and re-scores
the account's risk.
Target: the batch at least 10x faster (an emergency stop must reach the broker at once).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pm.services.validate import require_all, validate
from tests.services.test_validate_all import closing_orders, fetched_account, guard
from tests.support.memory import MemoryBreakers, MemorySectors

POSITIONS = 500
MIN_SPEEDUP = 10


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def test_close_all_validates_in_one_pass(benchmark, record, rounds) -> None:
    b = fetched_account(POSITIONS)
    orders = closing_orders(b)

    def batch() -> object:
        return require_all(guard(MemoryBreakers(), MemorySectors()), orders, fetched=b)

    def one_by_one() -> object:
        return [validate(guard(MemoryBreakers(), MemorySectors()), o, fetched=b) for o in orders]

    results = benchmark(batch)
    assert len(results) == POSITIONS
    assert all(r.approved for r in results)
    fast = best(batch, rounds(3, 10))
    slow = best(one_by_one, rounds(1, 3))
    speedup = slow / fast
    ok = speedup >= MIN_SPEEDUP
    record(
        f"close-all validation, {POSITIONS} positions: batch vs one by one",
        f"{fast * 1e3:.0f} ms vs {slow * 1e3:.0f} ms ({speedup:.0f}x)",
        f">= {MIN_SPEEDUP}x faster",
        ok,
    )
    assert ok, f"batch {fast * 1e3:.0f} ms vs one by one {slow * 1e3:.0f} ms: {speedup:.0f}x"

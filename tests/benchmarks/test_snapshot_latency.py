"""Broker latency of `pm snapshot`: account and positions are fetched concurrently.

Measures: wall time of `python -m pm snapshot --json` (a subprocess against the local fake
Alpaca, database already migrated) with L = 0.6 s added to every broker response, against the
same with no delay; best of N each. Also records when the fake server received each request.
Target: the delay costs less than 1.5 L (two sequential requests would cost 2 L), and the two
requests arrive together (less than L/2 apart), which proves the concurrency even when the
latency hides behind start-up imports.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.benchmarks.conftest import PM_SNAPSHOT, BrokerSetup, sampled
from tests.support.fake_alpaca import FakeAlpaca

LATENCY_S = 0.6
EXTRA_COST_TARGET = 1.5  # x LATENCY_S


def test_snapshot_pays_one_round_trip_of_latency(
    benchmark, fake_broker: BrokerSetup, rounds: Callable[[int, int], int], record
) -> None:
    n = rounds(2, 5)
    with FakeAlpaca(latency_s=LATENCY_S) as slow:
        env = {**fake_broker.env, "ALPACA_BASE_URL": slow.base_url}
        delayed = sampled(benchmark, PM_SNAPSHOT, env, n)
        first_two = [r for r in slow.requests if r.method == "GET"][:2]
    fast = fake_broker.snapshot_best(n)
    extra = delayed - fast
    ok = extra < EXTRA_COST_TARGET * LATENCY_S
    record(
        f"`pm snapshot --json` with L = {LATENCY_S:g} s broker latency (best of {n})",
        f"{delayed * 1000:.0f} ms vs {fast * 1000:.0f} ms without: {extra * 1000:+.0f} ms "
        f"= {extra / LATENCY_S:.2f} L",
        f"< {EXTRA_COST_TARGET:g} L",
        ok,
    )
    assert ok, (
        f"with {LATENCY_S}s latency pm snapshot took {delayed:.3f}s vs {fast:.3f}s without: "
        f"+{extra:.3f}s = {extra / LATENCY_S:.2f} L; target < {EXTRA_COST_TARGET} L"
    )
    assert {r.path for r in first_two} == {"/v2/account", "/v2/positions"}, first_two
    gap = abs(first_two[0].at - first_two[1].at)
    assert gap < LATENCY_S / 2, f"account and positions requests arrived {gap:.3f}s apart"

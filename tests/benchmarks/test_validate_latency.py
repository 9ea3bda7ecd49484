"""Broker latency of pre-trade validation: its fetches run in parallel.

Measures: `services.validate.validate` in process over the real `AlpacaBroker` against the
local fake Alpaca with L = 0.3 s added to every response (best of N), for a symbol the
account holds (account and positions: one round trip, everything else is local) and for one
it does not (a second round trip for the latest trade, which can only be asked after the
positions show the symbol is not held). Targets: < 1.5 L and < 2.5 L; fetched one after the
other they would cost 2 L and 3 L.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from pm.broker.alpaca.adapter import AlpacaBroker
from pm.broker.alpaca.latest_trade import AlpacaLatestTrades
from pm.domain.limits import RiskLimits
from pm.domain.models import Actor
from pm.services.sectors import SectorResolver
from pm.services.validate import Guard, ProposedOrder, validate
from tests.support.clocks import UtcClock
from tests.support.fake_alpaca import FakeAlpaca
from tests.support.memory import MemoryBreakers

LATENCY_S = 0.3
HELD_TARGET = 1.5  # x LATENCY_S
NOT_HELD_TARGET = 2.5


@pytest.fixture
def guard() -> Iterator[Guard]:
    with FakeAlpaca(latency_s=LATENCY_S) as slow:
        slow.positions = [p for p in slow.positions if p["symbol"] != "BTCUSD"]
        keys = {"api_key": "PKBENCH000000000001", "secret_key": "bench-secret-0123456789"}
        broker = AlpacaBroker(base_url=slow.base_url, clock=UtcClock(), **keys)
        prices = AlpacaLatestTrades(data_url=slow.base_url, clock=UtcClock(), **keys)
        yield Guard(
            broker=broker,
            breakers=MemoryBreakers(),
            sectors=SectorResolver(None),
            limits=RiskLimits(),
            clock=UtcClock(),
            actor=Actor("tester", "bench"),
            prices=prices,
            peak_equity=lambda _account: Decimal(100_000),
        )
        broker.close()


def best(n: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def test_validation_pays_one_round_trip_per_dependent_fetch(
    benchmark: Any,
    guard: Guard,
    rounds: Callable[[int, int], int],
    record: Callable[..., None],
) -> None:
    n = rounds(2, 5)
    held = ProposedOrder("AAPL", "buy", qty=Decimal(1))
    other = ProposedOrder("MSFT", "buy", qty=Decimal(1))
    # warms the connection pool and checks the answer; timed too with --benchmark-enable
    result = benchmark.pedantic(validate, args=(guard, held), rounds=1, iterations=1)
    assert result.approved
    assert validate(guard, other).price_source == "market"
    held_s = best(n, lambda: validate(guard, held))
    other_s = best(n, lambda: validate(guard, other))
    ok_held = held_s < HELD_TARGET * LATENCY_S
    ok_other = other_s < NOT_HELD_TARGET * LATENCY_S
    record(
        f"`validate` (held symbol) with L = {LATENCY_S:g} s broker latency (best of {n})",
        f"{held_s * 1000:.0f} ms = {held_s / LATENCY_S:.2f} L",
        f"< {HELD_TARGET:g} L",
        ok_held,
    )
    record(
        f"`validate` (not held: + latest trade) with L = {LATENCY_S:g} s (best of {n})",
        f"{other_s * 1000:.0f} ms = {other_s / LATENCY_S:.2f} L",
        f"< {NOT_HELD_TARGET:g} L",
        ok_other,
    )
    assert ok_held, f"validate took {held_s:.3f}s = {held_s / LATENCY_S:.2f} L"
    assert ok_other, f"validate took {other_s:.3f}s = {other_s / LATENCY_S:.2f} L"

"""Parsing a large positions list from Alpaca's wire dicts to domain `Position`s.

Measures: `pm.broker.alpaca.parse.parse_positions` on 10,000 wire positions (long, short and
crypto in turn, as `GET /v2/positions` returns them), the best of several timeit runs.
Target: under 100 ms (absolute: there is no baseline to compare against).
"""

from __future__ import annotations

import timeit
from decimal import Decimal

from pm.broker.alpaca.parse import parse_positions
from tests.support.fake_alpaca import many_positions

N_POSITIONS = 10_000
TARGET_S = 0.100


def test_parse_10k_positions_under_100ms(benchmark, record) -> None:
    raw = many_positions(N_POSITIONS)
    parsed = benchmark(parse_positions, raw)
    assert len(parsed) == N_POSITIONS
    assert parsed[0].symbol == raw[0]["symbol"]
    assert parsed[0].qty == Decimal(raw[0]["qty"])
    runs = 5
    best = min(timeit.repeat(lambda: parse_positions(raw), number=1, repeat=runs))
    ok = best < TARGET_S
    record(
        f"parse {N_POSITIONS:,} positions (best of {runs})",
        f"{best * 1000:.1f} ms",
        f"< {TARGET_S * 1000:.0f} ms",
        ok,
    )
    assert ok, f"parse_positions({N_POSITIONS}) took {best * 1000:.1f} ms; target < 100 ms"

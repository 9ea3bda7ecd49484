"""One `exits check` pass over 500 positions against the Alpaca stand-in.

Measures: the requests one pass makes (one positions request, one minute-bars request per
100 stock symbols and one per 100 crypto pairs, sent concurrently) and the compute of the
pass's rule evaluation (`observe` + `due` over every position, no I/O) against a 50 ms budget.
Target: exactly 1 + ceil(stocks / 100) + ceil(crypto / 100) requests; the evaluation under
50 ms.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from pm.broker.alpaca.adapter import AlpacaBroker
from pm.broker.alpaca.market_data import AlpacaMarketData
from pm.db.engine import open_database
from pm.domain.exits import ExitRule, due, new_state, observe
from pm.services import exits as service
from tests.support.clocks import FakeClock
from tests.support.fake_alpaca import FakeAlpaca, many_positions

POSITIONS = 500
BUDGET_MS = 50.0
NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def test_one_exits_check_over_500_positions(tmp_path: Path, record) -> None:
    clock = FakeClock(NOW)
    with FakeAlpaca() as server, open_database(f"sqlite:///{tmp_path / 'pm.db'}") as db:
        server.positions = [  # crypto positions spelled as pairs are (X00002USD -> X00002/USD)
            {**p, "symbol": f"X{p['symbol'][1:]}USD"} if p["asset_class"] == "crypto" else p
            for p in many_positions(POSITIONS)
        ]
        server.activities = []
        repo = db.repository()
        env = service.ExitsEnv(
            broker=AlpacaBroker(
                api_key="PKT", secret_key="s3cret", base_url=server.base_url, clock=clock
            ),
            market_data=AlpacaMarketData(
                api_key="PKT", secret_key="s3cret", data_url=server.base_url, clock=clock
            ),
            store=repo.exits,
            ledger=repo.ledger,
            policies=repo.policies,
            clock=clock,
        )
        service.set_rule(repo.exits, clock, "acct", None, take_profit=None, who="bench")
        service.run(env, "acct")  # the states start
        clock.advance(timedelta(minutes=1))
        before = len(server.requests)
        report = service.run(env, "acct")
        made = server.requests[before:]
    crypto = sum(1 for p in server.positions if p["asset_class"] == "crypto")
    stocks = POSITIONS - crypto
    paths = sorted(r.path for r in made)
    expected = 1 + math.ceil(stocks / 100) + math.ceil(crypto / 100)
    assert len(report.positions) == POSITIONS
    assert paths.count("/v2/positions") == 1
    assert paths.count("/v2/stocks/bars") == math.ceil(stocks / 100)
    assert paths.count("/v1beta3/crypto/us/bars") == math.ceil(crypto / 100)
    # the evaluation itself, over the same 500 positions
    rule = ExitRule()
    ladder = rule.ladder(Decimal(20))
    states = [
        new_state("a", f"k{i}", p.symbol, "long", Decimal(100), Decimal(10), Decimal(100), NOW)[0]
        for i, p in enumerate(report.positions)
    ]

    def evaluate() -> None:
        for k, s in enumerate(states):
            moved, _ = observe(s, [Decimal(100 + k % 30), Decimal(101)], rule, NOW)
            due(moved, rule, ladder, Decimal(100 + k % 30), Decimal(10))

    times = []
    for _ in range(5):
        start = time.perf_counter()
        evaluate()
        times.append(time.perf_counter() - start)
    ms = min(times) * 1e3
    ok = len(made) == expected and ms < BUDGET_MS
    record(
        f"exits check, {POSITIONS} positions: requests and rule evaluation",
        f"{len(made)} requests, {ms:.1f} ms",
        f"{expected} requests, < {BUDGET_MS:.0f} ms",
        ok,
    )
    assert ok, f"{len(made)} requests (expected {expected}), {ms:.1f} ms"

"""`pm performance` over ten years of daily equity and 100,000 fills.

Measures: the performance service end to end in one process (the Alpaca adapter asking a
local fake Alpaca for 10 years of daily portfolio history with cash flows, loading the
ledger's 100,000 fills from SQLite, FIFO matching them into 50,000 closed lots, every
statistic) against the baseline of only loading those 100,000 fills from the database
(`repo.ledger.fills`), measured in the same run, best of N each, the two runs interleaved
(so both see the same load on a shared machine).

What it takes beyond the load: FIFO matching (`pm.domain.lots.match_fifo`, about 0.4x the
load), the statistics over 50,000 closed lots and 2,600 days, and one history request.

Target: within 2x the load.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pm.broker.alpaca.adapter import AlpacaBroker
from pm.db.engine import open_database
from pm.db.repository import SqlRepository
from pm.domain.ledger import Fill
from pm.domain.models import OrderSide
from pm.services import performance as service
from tests.support.clocks import FakeClock
from tests.support.fake_alpaca import FakeAlpaca

ACCOUNT = "bench-account"
FILLS = 100_000
YEARS = 10
TARGET = 2.0
END = date(2026, 11, 27)


def _fills() -> list[Fill]:
    """50,000 round trips over 200 symbols: a buy, then a sell a few days later."""
    start = datetime(END.year - YEARS, END.month, END.day, 15, tzinfo=UTC)
    out: list[Fill] = []
    for n in range(FILLS // 2):
        symbol = f"S{n % 200:03d}"
        opened = start + timedelta(minutes=100 * n)
        price = Decimal(100 + n % 37)
        for k, side in enumerate(("buy", "sell")):
            side_: OrderSide = "buy" if side == "buy" else "sell"
            out.append(
                Fill(
                    fill_id=f"{n:08d}{k}",
                    symbol=symbol,
                    side=side_,
                    qty=Decimal(10),
                    price=price + (Decimal(n % 5) - 2 if k else 0),
                    transaction_time=opened + timedelta(days=3 * k),
                    source="activity",
                )
            )
    return out


def _history() -> dict[str, object]:
    """Weekday points for ten years, equity a slow wave, a deposit every month."""
    stamps, equity, csd = [], [], []
    day = END - timedelta(days=365 * YEARS)
    value = 100_000.0
    n = 0
    while day <= END:
        if day.weekday() < 5:
            n += 1
            deposit = 1000.0 if day.day <= 3 and day.weekday() == 0 else 0.0
            value = round(value * (1 + 0.01 * ((n * 7919) % 200 - 99) / 99) + deposit, 2)
            stamp = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
            stamps.append(int(stamp.timestamp()))
            equity.append(value)
            csd.append(deposit)
        day += timedelta(days=1)
    return {"timestamp": stamps, "equity": equity, "cashflow": {"CSD": csd}, "timeframe": "1D"}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlRepository]:
    path: Path = tmp_path_factory.mktemp("bench-perf") / "pm.db"
    with open_database(f"sqlite:///{path}") as db:
        repo = db.repository()
        repo.accounts.register_account(ACCOUNT, "bench", datetime.now(UTC))
        fills = _fills()
        for i in range(0, len(fills), 10_000):
            repo.ledger.add_fills(ACCOUNT, fills[i : i + 10_000])
        yield repo


def _best(fn: Callable[[], object], n: int) -> float:
    best = float("inf")
    for _ in range(n):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def test_performance_within_2x_loading_the_fills(
    ledger: SqlRepository,
    benchmark: object,
    rounds: Callable[[int, int], int],
    record: Callable[[str, str, str, bool], None],
) -> None:
    n = rounds(3, 5)
    with FakeAlpaca() as fake:
        fake.portfolio_history = _history()
        fake.positions = []
        broker = AlpacaBroker(
            api_key="PKBENCH", secret_key="secret", base_url=fake.base_url, clock=FakeClock()
        )
        start = END - timedelta(days=365 * YEARS)

        def report() -> service.PerformanceReport:
            return service.performance(broker, ledger, None, ACCOUNT, start=start, end=END)

        done = report()
        assert done.trades.trades == FILLS // 2
        assert len(done.rows) > 252 * YEARS
        assert done.net_deposits > 0
        times: list[float] = []
        loads: list[float] = []

        def once() -> None:
            # the baseline's run right before each measured one, so both see the same machine
            loads.append(_best(lambda: ledger.ledger.fills(ACCOUNT), 1))
            begun = time.perf_counter()
            report()
            times.append(time.perf_counter() - begun)

        benchmark.pedantic(once, rounds=n, iterations=1)  # type: ignore[attr-defined]
        while len(times) < n:
            once()
        whole, load = min(times), min(loads)
    ratio = whole / load
    ok = ratio <= TARGET
    record(
        f"`pm performance` service, {YEARS} years of daily equity and 100,000 fills, vs loading "
        f"the fills from SQLite (best of {n})",
        f"{whole:.2f} s vs {load:.2f} s = {ratio:.2f}x",
        f"<= {TARGET:g}x",
        ok,
    )
    assert ok, f"{whole:.2f} s is {ratio:.2f}x the {load:.2f} s load of the fills"

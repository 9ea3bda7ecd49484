"""Peak memory of `pm reconcile` and `pm positions`' book write: one copy of the positions.

The broker's positions are parsed once; what the services add on top while writing them into
the book must stay small beside them: references (the diff), batch-sized rows for the driver,
not a second and third copy of every position as parameter dicts. Measured with tracemalloc
in the process: the size of the parsed positions (what building them allocated), then the
peak above that while the service runs, first run (every position added), on SQLite.
Asserted: the extra peak within 0.25x the positions' size. N is 100,000 with
--benchmark-enable, 20,000 in the default suite.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from pm.db.engine import Database, open_database
from pm.domain.models import Position
from pm.ports import Repository
from pm.services import positions as positions_service
from pm.services.reconcile import reconcile
from tests.support.clocks import stepping
from tests.support.memory import MemoryBroker

TARGET_RATIO = 0.25


def parsed_positions(n: int) -> list[Position]:
    """Positions as the parser makes them: distinct Decimal and str objects per field."""
    return [
        Position(
            asset_id=f"904837e3-3b76-47ec-b432-{i:012d}",
            symbol=f"S{i:06d}",
            qty=Decimal(f"{10 + i % 7}"),
            side="long",
            asset_class="us_equity",
            avg_entry_price=Decimal("100.25"),
            current_price=Decimal(f"101.{i % 100:02d}"),
            market_value=Decimal(f"{(10 + i % 7) * 101}.5"),
            cost_basis=Decimal(f"{(10 + i % 7) * 100}.25"),
            unrealized_pl=Decimal(f"{i % 13}.25"),
            unrealized_pl_pct=Decimal("1.2345"),
        )
        for i in range(n)
    ]


class Writes:
    def __init__(self) -> None:
        self.pending: list[Callable[[], object]] = []

    def submit(self, write: Callable[[], object]) -> None:
        self.pending.append(write)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with open_database(f"sqlite:///{tmp_path / 'mem.db'}") as database:
        yield database


def extra_peak(work: Callable[[], object]) -> int:
    """Bytes allocated at the peak of `work` above what was allocated before it."""
    tracemalloc.reset_peak()
    start, _ = tracemalloc.get_traced_memory()
    work()
    _, peak = tracemalloc.get_traced_memory()
    return peak - start


def measure(n: int, run: Callable[[MemoryBroker], object]) -> tuple[int, int]:
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        broker = MemoryBroker(positions=parsed_positions(n))
        size = tracemalloc.get_traced_memory()[0] - before
        extra = extra_peak(lambda: run(broker))
    finally:
        tracemalloc.stop()
    return size, extra


def report(record, what: str, n: int, size: int, extra: int) -> None:  # type: ignore[no-untyped-def]
    ratio = extra / size
    ok = ratio <= TARGET_RATIO
    record(
        f"{what}, {n:,} positions: peak memory above the parsed positions",
        f"{extra / 2**20:.1f} MiB over {size / 2**20:.1f} MiB: **{ratio:.2f}x**",
        f"within {TARGET_RATIO}x",
        ok,
    )
    assert ok, f"{what} peaked {extra / 2**20:.1f} MiB over {size / 2**20:.1f} MiB of positions"


def test_reconcile_holds_one_copy(db: Database, benchmark, record) -> None:
    n = 100_000 if getattr(benchmark, "enabled", False) else 20_000
    repo: Repository = db.repository()

    def run(broker: MemoryBroker) -> None:
        result = reconcile(broker, broker.account_id, repo, repo.reconcile, stepping(), force=True)
        assert result.failure is None
        assert result.run.added == n

    size, extra = measure(n, run)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    report(record, "pm reconcile (first run)", n, size, extra)


def test_positions_book_write_holds_one_copy(db: Database, benchmark, record) -> None:
    n = 100_000 if getattr(benchmark, "enabled", False) else 20_000
    repo: Repository = db.repository()

    def run(broker: MemoryBroker) -> None:
        writes = Writes()
        shown = positions_service.fetch(broker, lambda: repo, stepping(), writes)
        for write in writes.pending:
            write()
        assert len(shown.positions) == n
        assert repo.reconcile.runs(broker.account_id, limit=1)[0].added == n

    size, extra = measure(n, run)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    report(record, "pm positions (fetch, then the book write)", n, size, extra)

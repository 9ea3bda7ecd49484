"""Reconciliation's bulk path against the floor: a bare ``executemany`` of the same rows.

First run (the book empty, every broker position added): `SqlReconcileStore.apply` of N
positions (stored forms once per batch, ``executemany`` with tuples, the run record, one
transaction) against the driver's own ``executemany`` of the same rows, already in stored
form, in one transaction on the raw DBAPI connection. Both into the real `positions` table,
interleaved, best of the rounds, on SQLite and (with PM_TEST_DATABASE_URL) PostgreSQL.
Asserted with --benchmark-enable (N = 100,000): apply within 1.5x the bare ``executemany``.
The default suite (50,000 on SQLite, 20,000 on PostgreSQL, best of five rounds each way)
checks every result and reports the ratio without asserting it: with six test runs sharing
two cores, a 1.5x margin over a C loop is not measured reliably there.

Steady state (the book holds N; the broker reports 5 % new, 10 % changed, half of them a
different quantity, and lacks 5 %): read + diff + apply is checked for correctness.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from pm.db.engine import Database, open_database
from pm.db.reconcile_store import ADDED_COLUMNS, SqlReconcileStore
from pm.db.tables import positions as positions_t
from pm.domain.models import Position
from pm.domain.reconcile import ReconcileDiff, RunRecord, diff
from tests.db.conftest import BACKENDS, pg_schemas, postgres_url  # noqa: F401
from tests.support.clocks import stepping
from tests.support.positions import position as build

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
TARGET_RATIO = 1.5
#: N in the default suite: large enough that a transaction's fixed cost does not decide it.
DEFAULT_N = {"sqlite": 50_000, "postgresql": 20_000}


def position(i: int, qty: Decimal, price: Decimal) -> Position:
    return build(f"S{i:06d}", qty, price, "100.25", asset_id=f"asset-{i}")


def scenario(n: int) -> tuple[list[Position], list[Position]]:
    """(the book, the broker): 5 % closed, 5 % qty changed, 5 % price changed, 5 % new."""
    book = [position(i, Decimal(10 + i % 7), Decimal("101.50")) for i in range(n)]
    broker: list[Position] = []
    for i, p in enumerate(book):
        bucket = i % 20
        if bucket == 0:
            continue  # closed at the broker
        if bucket == 1:
            broker.append(position(i, p.qty + 1, p.current_price))  # conflict
        elif bucket == 2:
            broker.append(position(i, p.qty, Decimal("102.75")))  # new price
        else:
            broker.append(p)
    broker += [position(n + i, Decimal(3), Decimal(50)) for i in range(n // 20)]
    return book, broker


def fresh_account(db: Database, tag: str) -> str:
    account = f"{tag}-{time.monotonic_ns()}"
    db.repository().accounts.register_account(account, f"bench:{account}", T0)
    return account


def apply(db: Database, account: str, changes: ReconcileDiff) -> RunRecord:
    clock = stepping(T0 + timedelta(hours=1))
    run = RunRecord(None, account, "completed", "forced", clock.now(), 0)
    return SqlReconcileStore(db.engine).apply(run, changes, clock)


def stored_rows(db: Database, account: str, positions: list[Position]) -> list[tuple[Any, ...]]:
    """The rows `apply` writes for `positions`, as the driver takes them (built untimed)."""
    sqlite = db.backend == "sqlite"
    text: Callable[[Decimal], Any] = str if sqlite else (lambda d: d)
    now: Any = "2026-03-02 15:30:00.000000" if sqlite else T0 + timedelta(hours=1)
    return [
        (
            p.symbol,
            p.asset_id,
            text(p.qty),
            p.side,
            p.asset_class,
            text(p.avg_entry_price),
            text(p.current_price),
            text(p.market_value),
            text(p.cost_basis),
            text(p.unrealized_pl),
            text(p.unrealized_pl_pct),
            account,
            None,
            now,
            now,
            now,
        )
        for p in positions
    ]


def bare_executemany(db: Database, rows: list[tuple[Any, ...]]) -> None:
    """The floor: the driver's executemany of ready rows, one transaction, nothing else."""
    mark = "?" if db.backend == "sqlite" else "%s"
    statement = (
        f"INSERT INTO positions ({', '.join(ADDED_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(ADDED_COLUMNS))})"
    )
    conn = db.engine.raw_connection()
    try:
        cursor = conn.cursor()
        if db.backend == "sqlite":
            cursor.execute("BEGIN")
        cursor.executemany(statement, rows)
        conn.commit()
    finally:
        conn.close()


def open_book(db: Database, account: str) -> set[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(positions_t.c.symbol, positions_t.c.quantity, positions_t.c.current_price).where(
                positions_t.c.account_id == account, positions_t.c.closed_at.is_(None)
            )
        ).all()
    return {tuple(r) for r in rows}


def expected(positions: list[Position]) -> set[tuple[Any, ...]]:
    return {(p.symbol, p.qty, p.current_price) for p in positions}


@pytest.fixture(params=BACKENDS)
def bench_db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bench.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    with open_database(url) as db:
        yield db


def test_apply_within_1_5x_a_bare_executemany(bench_db: Database, benchmark, record) -> None:
    enabled = bool(getattr(benchmark, "enabled", False))
    n, rounds = (100_000, 3) if enabled else (DEFAULT_N[bench_db.backend], 5)
    _, broker = scenario(n)
    changes = diff(broker, [])
    bulk: list[float] = []
    bare: list[float] = []

    def one_round() -> None:
        account = fresh_account(bench_db, "apply")
        start = time.perf_counter()
        run = apply(bench_db, account, changes)
        bulk.append(time.perf_counter() - start)
        assert run.added == len(broker)
        assert open_book(bench_db, account) == expected(broker)

        account = fresh_account(bench_db, "bare")
        rows = stored_rows(bench_db, account, broker)
        start = time.perf_counter()
        bare_executemany(bench_db, rows)
        bare.append(time.perf_counter() - start)
        assert open_book(bench_db, account) == expected(broker)

    benchmark.pedantic(one_round, rounds=1, iterations=1)
    while len(bulk) < rounds:
        one_round()
    ratio = min(bulk) / min(bare)
    ok = ratio <= TARGET_RATIO
    record(
        f"reconcile apply, {n:,} new positions, {bench_db.backend}: vs a bare executemany",
        f"{min(bulk):.2f} s vs {min(bare):.2f} s: **{ratio:.2f}x**",
        f"within {TARGET_RATIO}x",
        ok,
    )
    if enabled:  # the target; the default suite checks the results and reports the ratio
        assert ok, f"apply {min(bulk):.2f} s is {ratio:.2f}x the bare executemany {min(bare):.2f} s"


def test_steady_state_ends_equal_to_the_broker(bench_db: Database) -> None:
    """Read + diff + apply of the mixed scenario (closes, adds, conflicts, new prices)."""
    n = 2_000
    book, broker = scenario(n)
    account = fresh_account(bench_db, "steady")
    apply(bench_db, account, diff(book, []))
    store = SqlReconcileStore(bench_db.engine)
    run = apply(bench_db, account, diff(broker, store.open_book(account)))
    assert (run.added, run.removed, run.conflicts, run.updated) == (n // 20,) * 4
    assert open_book(bench_db, account) == expected(broker)

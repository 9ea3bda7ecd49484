"""Steady-state reconciliation: SQLAlchemy Core in one transaction vs the ORM unit of work.

The book holds N open positions; the broker reports 5 % new ones, 10 % changed (half a
different quantity, i.e. a conflict record, half a new price) and lacks 5 % (closed
externally). Measured: read the book's open positions, diff, apply (the whole reconciliation
minus the broker call), on SQLite and (with PM_TEST_DATABASE_URL) PostgreSQL.

Baseline in the same run: the ORM unit of work doing the same (load the rows as objects,
change attributes, add new objects, one commit). Asserted: Core is faster than the ORM
(a ratio, so it holds on any machine). With --benchmark-enable, N is 10,000 (and 100,000 for
Core alone) and the absolute targets are asserted too: 10k within 150 ms on SQLite and 250 ms
on PostgreSQL, 100k within 2 s. In the default suite N is 2,000, one round, and the result is
still checked for correctness.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pm.db.engine import Database, open_database
from pm.db.models import PositionConflictRow, PositionRow, ReconciliationRunRow
from pm.db.reconcile_store import SqlReconcileStore
from pm.domain.models import Position
from pm.domain.reconcile import RunRecord, diff
from tests.db.conftest import BACKENDS, pg_schemas, postgres_url  # noqa: F401
from tests.support.clocks import stepping

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
TARGET_10K_S = {"sqlite": 0.150, "postgresql": 0.250}
TARGET_100K_S = 2.0
POSITION_FIELDS = [f.name for f in fields(Position)]


def position(i: int, qty: Decimal, price: Decimal) -> Position:
    entry = Decimal("100.25")
    return Position(
        asset_id=f"asset-{i}",
        symbol=f"S{i:06d}",
        qty=qty,
        side="long",
        asset_class="us_equity",
        avg_entry_price=entry,
        current_price=price,
        market_value=qty * price,
        cost_basis=qty * entry,
        unrealized_pl=qty * (price - entry),
        unrealized_pl_pct=Decimal("1.2345"),
    )


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


def seed(db: Database, account: str, book: list[Position]) -> None:
    db.repository().register_account(account, f"bench:{account}", T0)
    rows = [
        {
            **{name: getattr(p, name) for name in POSITION_FIELDS},
            "account_id": account,
            "opened_at": T0,
            "updated_at": T0,
        }
        for p in book
    ]
    with db.engine.begin() as conn:
        conn.execute(insert(PositionRow.__table__), rows)


def core_reconcile(db: Database, account: str, broker: list[Position]) -> RunRecord:
    store = SqlReconcileStore(db.engine)
    clock = stepping(T0 + timedelta(hours=1))
    changes = diff(broker, store.open_book(account))
    run = RunRecord(None, account, "completed", "forced", clock.now(), 0)
    return store.apply(run, changes, clock)


def orm_reconcile(db: Database, account: str, broker: list[Position]) -> None:
    """The same work through the ORM's unit of work: objects loaded, changed, one commit."""
    now = T0 + timedelta(hours=1)
    with Session(db.engine) as session, session.begin():
        rows = session.scalars(
            select(PositionRow).where(
                PositionRow.account_id == account, PositionRow.closed_at.is_(None)
            )
        ).all()
        by_symbol = {r.symbol: r for r in rows}
        wanted = {p.symbol: p for p in broker}
        run = ReconciliationRunRow(
            account_id=account,
            status="completed",
            trigger="forced",
            started_at=now,
            added=0,
            removed=0,
            updated=0,
            conflicts=0,
        )
        session.add(run)
        session.flush()
        for symbol, row in by_symbol.items():
            live = wanted.get(symbol)
            if live is None:
                row.closed_at = now
                run.removed += 1
            elif live.qty != row.qty:
                session.add(
                    PositionConflictRow(
                        account_id=account,
                        run_id=run.id,
                        symbol=symbol,
                        field="qty",
                        db_value=row.qty,
                        broker_value=live.qty,
                        resolution="broker_wins",
                        resolved=True,
                        detected_at=now,
                        resolved_at=now,
                    )
                )
                for name in POSITION_FIELDS:
                    setattr(row, name, getattr(live, name))
                row.updated_at = now
                run.conflicts += 1
            elif live.current_price != row.current_price:
                row.current_price = live.current_price
                row.market_value = live.market_value
                row.unrealized_pl = live.unrealized_pl
                row.updated_at = now
                run.updated += 1
        for symbol, live in wanted.items():
            if symbol not in by_symbol:
                session.add(
                    PositionRow(
                        account_id=account,
                        **{name: getattr(live, name) for name in POSITION_FIELDS},
                        opened_at=now,
                        updated_at=now,
                    )
                )
                run.added += 1


def timed(
    db: Database,
    book: list[Position],
    broker: list[Position],
    how: Callable[[Database, str, list[Position]], Any],
    rounds: int,
    tag: str,
) -> float:
    """Best wall time of `how` over `rounds` fresh accounts (seeding is not timed)."""
    best = float("inf")
    for r in range(rounds):
        account = f"{tag}-{r}-{time.monotonic_ns()}"
        seed(db, account, book)
        start = time.perf_counter()
        how(db, account, broker)
        best = min(best, time.perf_counter() - start)
        check(db, account, broker)
    return best


def check(db: Database, account: str, broker: list[Position]) -> None:
    """After either path the open book equals the broker, quantities and prices."""
    table = PositionRow.__table__
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(table.c.symbol, table.c.qty, table.c.current_price).where(
                table.c.account_id == account, table.c.closed_at.is_(None)
            )
        ).all()
    assert {(r[0], r[1], r[2]) for r in rows} == {
        (p.symbol, p.qty, p.current_price) for p in broker
    }


@pytest.fixture(params=BACKENDS)
def bench_db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bench.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    with open_database(url) as db:
        yield db


def test_reconcile_core_vs_orm(bench_db: Database, benchmark, rounds, record) -> None:
    enabled = bool(getattr(benchmark, "enabled", False))
    n = 10_000 if enabled else 2_000
    backend = bench_db.backend
    book, broker = scenario(n)
    changes = diff(broker, [])  # sanity of the scenario itself
    assert len(changes.added) == len(broker)

    def one_core() -> None:
        account = f"pedantic-{time.monotonic_ns()}"
        seed(bench_db, account, book)
        run = core_reconcile(bench_db, account, broker)
        assert (run.added, run.removed, run.conflicts, run.updated) == (
            n // 20,
            n // 20,
            n // 20,
            n // 20,
        )
        check(bench_db, account, broker)

    benchmark.pedantic(one_core, rounds=1, iterations=1)
    r = rounds(1, 3)
    core = timed(bench_db, book, broker, core_reconcile, r, "core")
    orm = timed(bench_db, book, broker, orm_reconcile, r, "orm")
    ratio = orm / core
    record(
        f"reconcile {n:,} positions, {backend}: Core vs ORM unit of work",
        f"{core * 1000:.0f} ms vs {orm * 1000:.0f} ms ({ratio:.1f}x)",
        "Core faster" + (f"; < {TARGET_10K_S[backend] * 1000:.0f} ms" if enabled else ""),
        ratio > 1 and (not enabled or core < TARGET_10K_S[backend]),
    )
    assert ratio > 1, f"Core {core * 1000:.0f} ms is not faster than the ORM {orm * 1000:.0f} ms"
    if enabled:
        assert core < TARGET_10K_S[backend], f"{core * 1000:.0f} ms for {n:,} on {backend}"


def test_reconcile_100k_core(bench_db: Database, benchmark, record) -> None:
    if not getattr(benchmark, "enabled", False):
        pytest.skip("100,000 positions only with --benchmark-enable")
    n = 100_000
    book, broker = scenario(n)
    measured: list[float] = []
    benchmark.pedantic(
        lambda: measured.append(timed(bench_db, book, broker, core_reconcile, 1, "core100k")),
        rounds=1,
        iterations=1,
    )
    core = measured[0]
    ok = core < TARGET_100K_S
    record(f"reconcile {n:,} positions, {bench_db.backend}: Core", f"{core:.2f} s", "< 2 s", ok)
    assert ok, f"{core:.2f} s for {n:,} on {bench_db.backend}"

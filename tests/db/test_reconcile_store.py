"""Reconciliation against the real store, every scenario on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from pm.db import reconcile_lock
from pm.db import reconcile_store as store_module
from pm.db.engine import Database
from pm.db.job_store import SqlJobStore
from pm.db.reconcile_store import SqlReconcileStore
from pm.db.repository import SqlRepository
from pm.db.tables import jobs, position_conflicts, positions, reconciliation_runs
from pm.domain.portfolio import drop_dust
from pm.domain.reconcile import ALREADY_RUNNING, RunRecord, diff, diff_stored
from pm.ports import BrokerIdentity
from pm.services.accounts import resolve
from pm.services.reconcile import ReconcileResult, reconcile
from tests.support.clocks import T0, FakeClock, stepping
from tests.support.memory import MemoryBroker
from tests.support.positions import position

INTERVAL = timedelta(minutes=5)
pos = partial(position, entry="90")


@pytest.fixture
def store(database: Database) -> SqlReconcileStore:
    return SqlReconcileStore(database.engine)


@pytest.fixture
def clock() -> FakeClock:
    return stepping()


@pytest.fixture
def broker() -> MemoryBroker:
    return MemoryBroker(positions=[pos("AAPL"), pos("MSFT", "5", "400", entry="380")])


def run(
    broker: MemoryBroker,
    repo: SqlRepository,
    store: SqlReconcileStore,
    clock: FakeClock,
    **kw: Any,
) -> ReconcileResult:
    kw.setdefault("force", True)
    kw.setdefault("trigger", "forced" if kw["force"] else "manual")
    return reconcile(
        broker, account_of(broker, repo, clock), repo, store, clock, interval=INTERVAL, **kw
    )


def account_of(broker: MemoryBroker, repo: SqlRepository, clock: FakeClock) -> str:
    """The account as the CLI decides it (AppContext.account_id): remembered, else asked once."""
    identity = BrokerIdentity("memory", broker.identity, "memory", live=False, simulated=False)
    return resolve(identity, repo, clock, broker=broker)


def open_rows(database: Database, account: str = "acct-1") -> dict[str, dict[str, Any]]:
    table = positions
    with database.engine.connect() as conn:
        rows = conn.execute(
            select(table).where(table.c.account_id == account, table.c.closed_at.is_(None))
        ).all()
    return {r.symbol: dict(r._mapping) for r in rows}


def dump(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a reconciliation touches, for before/after comparisons."""
    out = {}
    with database.engine.connect() as conn:
        for table in (positions, position_conflicts, reconciliation_runs, jobs):
            out[table.name] = sorted((tuple(r) for r in conn.execute(select(table))), key=str)
    return out


def assert_book_equals_broker(database: Database, broker: MemoryBroker) -> None:
    held = {p.symbol: p for p in drop_dust(broker.positions)}
    rows = open_rows(database, broker.account_id)
    assert set(rows) == set(held)
    for symbol, p in held.items():
        row = rows[symbol]
        assert (row["quantity"], row["current_price"], row["entry_price"]) == (
            p.qty,
            p.current_price,
            p.avg_entry_price,
        )


def test_first_run_adds_everything(database, repo, store, clock, broker) -> None:
    result = run(broker, repo, store, clock)
    assert result.failure is None
    r = result.run
    assert (r.status, r.trigger, r.added, r.removed, r.updated, r.conflicts) == (
        "completed",
        "forced",
        2,
        0,
        0,
        0,
    )
    assert r.run_id is not None
    assert r.finished_at is not None
    assert T0 < r.started_at < r.finished_at
    assert r.duration_ms == (r.finished_at - r.started_at) // timedelta(milliseconds=1)
    rows = open_rows(database)
    assert rows["AAPL"]["strategy_id"] is None
    assert rows["MSFT"]["quantity"] == Decimal(5)
    assert result.next_due_at == r.started_at + INTERVAL
    assert_book_equals_broker(database, broker)


def test_removed_is_closed_not_deleted(database, repo, store, clock, broker) -> None:
    run(broker, repo, store, clock)
    broker.positions = [pos("AAPL")]
    r = run(broker, repo, store, clock).run
    assert (r.added, r.removed, r.updated, r.conflicts) == (0, 1, 0, 0)
    table = positions
    with database.engine.connect() as conn:
        msft = conn.execute(select(table).where(table.c.symbol == "MSFT")).one()
    assert msft.closed_at is not None
    assert msft.quantity == Decimal(5)
    assert_book_equals_broker(database, broker)


def test_conflict_is_recorded_and_broker_wins(database, repo, store, clock, broker) -> None:
    run(broker, repo, store, clock)
    broker.positions = [pos("AAPL", qty="12", price="101"), pos("MSFT", "5", "400", entry="380")]
    r = run(broker, repo, store, clock).run
    assert (r.added, r.removed, r.updated, r.conflicts) == (0, 0, 0, 1)
    [conflict] = store.conflicts("acct-1")
    assert (conflict.symbol, conflict.field, conflict.db_value, conflict.broker_value) == (
        "AAPL",
        "qty",
        Decimal(10),
        Decimal(12),
    )
    assert conflict.resolution == "broker_wins"
    assert conflict.resolved is True
    assert conflict.run_id == r.run_id
    assert conflict.resolved_at is not None
    assert open_rows(database)["AAPL"]["current_price"] == Decimal(101)
    assert_book_equals_broker(database, broker)


def test_price_only_change_updates_prices(database, repo, store, clock, broker) -> None:
    run(broker, repo, store, clock)
    broker.positions = [pos("AAPL", price="123.45"), pos("MSFT", "5", "400", entry="381")]
    r = run(broker, repo, store, clock).run
    assert (r.added, r.removed, r.updated, r.conflicts) == (0, 0, 2, 0)
    rows = open_rows(database)
    assert rows["AAPL"]["current_price"] == Decimal("123.45")
    assert rows["AAPL"]["market_value"] == Decimal("1234.50")
    assert rows["MSFT"]["entry_price"] == Decimal(381)
    assert store.conflicts("acct-1") == []


def test_no_change_writes_only_the_run(database, repo, store, clock, broker) -> None:
    run(broker, repo, store, clock)
    before = dump(database)
    r = run(broker, repo, store, clock).run
    assert (r.status, r.added, r.removed, r.updated, r.conflicts) == ("completed", 0, 0, 0, 0)
    after = dump(database)
    assert after["positions"] == before["positions"]
    assert len(after["reconciliation_runs"]) == len(before["reconciliation_runs"]) + 1


def test_dust_is_dropped(database, repo, store, clock, broker) -> None:
    broker.positions = [pos("AAPL"), pos("NEE", qty="0.00004")]
    r = run(broker, repo, store, clock).run
    assert r.added == 1
    assert set(open_rows(database)) == {"AAPL"}


def test_skipped_when_not_due_then_due_after_interval(database, repo, store, clock, broker):
    first = run(broker, repo, store, clock, force=False).run
    assert (first.status, first.trigger) == ("completed", "manual")
    clock.advance(timedelta(minutes=4))
    calls = broker.calls
    skipped = run(broker, repo, store, clock, force=False)
    assert skipped.run.status == "skipped"
    assert skipped.run.error is not None
    assert skipped.run.error.startswith("not due until ")
    assert skipped.next_due_at == first.started_at + INTERVAL
    assert broker.calls == calls  # not even a broker call
    assert skipped.run.run_id is not None  # stored, for history
    clock.advance(timedelta(minutes=1))
    assert run(broker, repo, store, clock, force=False).run.status == "completed"


def test_failed_and_skipped_runs_do_not_count_as_completed(database, repo, store, clock, broker):
    run(broker, repo, store, clock, force=False)
    clock.advance(INTERVAL)
    broker.down = True
    failed = run(broker, repo, store, clock, force=False)
    assert failed.run.status == "failed"
    broker.down = False
    # due at once after a failure: the interval counts from the last completed run
    assert run(broker, repo, store, clock, force=False).run.status == "completed"


def test_forced_runs_even_when_not_due(database, repo, store, clock, broker) -> None:
    run(broker, repo, store, clock, force=False)
    forced = run(broker, repo, store, clock, force=True)
    assert (forced.run.status, forced.run.trigger) == ("completed", "forced")


def test_locked_account_is_skipped_as_already_running(database, repo, store, clock, broker):
    run(broker, repo, store, clock)  # learn the account
    other = SqlReconcileStore(database.engine)
    with other.lock("acct-1") as held:
        assert held
        assert store.is_running("acct-1")
        calls = broker.calls
        result = run(broker, repo, store, clock)
        assert (result.run.status, result.run.error) == ("skipped", ALREADY_RUNNING)
        assert broker.calls == calls
    assert not store.is_running("acct-1")
    assert run(broker, repo, store, clock).run.status == "completed"


def test_wait_gets_the_lock_when_the_holder_finishes(database, repo, store, clock, broker):
    run(broker, repo, store, clock)
    other = SqlReconcileStore(database.engine)
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with other.lock("acct-1") as held:
            assert held
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)
    threading.Timer(0.3, release.set).start()
    result = run(broker, repo, store, clock, wait_s=10)
    thread.join()
    assert result.run.status == "completed"


def test_wait_times_out_as_skipped(database, repo, store, clock, broker) -> None:
    run(broker, repo, store, clock)
    with SqlReconcileStore(database.engine).lock("acct-1") as held:
        assert held
        result = run(broker, repo, store, clock, wait_s=0.3)
    assert (result.run.status, result.run.error) == ("skipped", ALREADY_RUNNING)


def test_broker_failure_stores_failed_run_and_touches_nothing(
    database, repo, store, clock, broker
) -> None:
    run(broker, repo, store, clock)
    before = open_rows(database)
    broker.down = True
    result = run(broker, repo, store, clock)
    assert result.run.status == "failed"
    assert result.failure is not None
    assert result.failure.kind == "BrokerUnavailable"
    assert result.run.error == "memory broker is down"
    assert open_rows(database) == before
    assert store.runs("acct-1", limit=1)[0].status == "failed"


def test_crash_midway_through_apply_leaves_the_database_as_before(
    database, repo, store, clock, broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(broker, repo, store, clock)
    broker.positions = [pos("AAPL", qty="11"), pos("NVDA"), pos("MSFT", "5", "401", entry="380")]
    before = dump(database)

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("injected after the closes, inserts and conflicts ran")

    monkeypatch.setattr(store_module, "_update_prices", boom)
    changes = diff(broker.positions, store.open_book("acct-1"))
    assert changes.added
    assert changes.conflicts
    assert changes.updated
    started = RunRecord(None, "acct-1", "completed", "forced", clock.now(), 0)
    with pytest.raises(RuntimeError, match="injected"):
        store.apply(started, changes, clock)
    assert dump(database) == before
    # and through the service: a failed run is recorded, positions untouched
    with pytest.raises(RuntimeError, match="injected"):
        run(broker, repo, store, clock)
    after = dump(database)
    assert after["positions"] == before["positions"]
    assert after["position_conflicts"] == before["position_conflicts"]
    assert store.runs("acct-1", limit=1)[0].status == "failed"


def test_history_and_conflicts_filters(database, repo, store, clock, broker) -> None:
    run(broker, repo, store, clock)
    clock.advance(timedelta(hours=1))
    mid = clock.at
    broker.positions = [pos("AAPL", qty="3"), pos("MSFT", qty="4")]
    run(broker, repo, store, clock)
    assert [r.conflicts for r in store.runs("acct-1")] == [2, 0]
    assert len(store.runs("acct-1", since=mid)) == 1
    assert len(store.runs("acct-1", limit=1)) == 1
    assert len(store.conflicts("acct-1", since=mid, limit=1)) == 1
    assert store.conflicts("acct-1", since=mid + timedelta(days=1)) == []


def test_job_claims_are_exclusive_and_follow_the_interval(database, repo) -> None:
    store = SqlJobStore(database.engine)
    repo.accounts.register_account("acct-1", "memory:acct-1", T0)
    assert store.claim("acct-1", "reconcile", 60, T0)
    assert not store.claim("acct-1", "reconcile", 60, T0 + timedelta(seconds=30))
    store.finish("acct-1", "reconcile", "completed", None)
    assert not store.claim("acct-1", "reconcile", 60, T0 + timedelta(seconds=59))
    assert store.claim("acct-1", "reconcile", 60, T0 + timedelta(seconds=60))
    store.finish("acct-1", "reconcile", "failed", "down")
    [state] = store.jobs("acct-1")
    assert (state.last_status, state.last_error) == ("failed", "down")
    assert store.claim("acct-1", "reconcile", 60, T0 + timedelta(seconds=61))  # retry at once


def test_pg_lock_is_held_by_a_session(database: Database) -> None:
    if database.backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    key = reconcile_lock.lock_key("acct-1")
    with SqlReconcileStore(database.engine).lock("acct-1") as held:
        assert held
        with database.engine.connect() as conn:
            count = conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            ).scalar_one()
            assert count >= 1
            assert not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.rollback()


position_lists = st.lists(
    st.tuples(
        st.sampled_from(["AAPL", "MSFT", "NVDA", "TSLA", "BTCUSD", "NEE", "XOM"]),
        st.sampled_from(["0", "0.00004", "0.0001", "1", "2.5", "-3", "10"]),
        st.sampled_from(["1", "99.99", "100", "250.5"]),
    ),
    max_size=8,
)


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=position_lists, second=position_lists)
def test_property_book_equals_broker_after_any_reconciliation(
    database, repo, store, first, second
) -> None:
    """Whatever the book held and whatever the broker reports, after a run they agree."""
    clock = stepping()
    account = f"acct-{abs(hash((tuple(first), tuple(second)))) % 10**9}"
    broker = MemoryBroker(account_id=account)
    for listing in (first, second):
        broker.positions = [pos(s, q, p) for s, q, p in listing]
        account_id = account_of(broker, repo, clock)
        result = reconcile(broker, account_id, repo, store, clock, interval=INTERVAL, force=True)
        assert result.failure is None
        assert_book_equals_broker(database, broker)


def test_progress_reports_every_row_written(database, repo, store, clock) -> None:
    """The progress bar's feed: chunks of rows as they are applied, ending at the total."""
    many = MemoryBroker(positions=[pos(f"S{i:04d}") for i in range(store_module.CHUNK + 5)])
    seen: list[tuple[int, int]] = []
    result = run(many, repo, store, clock, progress=lambda done, total: seen.append((done, total)))
    assert result.run.added == store_module.CHUNK + 5
    assert seen == [(store_module.CHUNK, result.run.added), (result.run.added, result.run.added)]


def test_streamed_book_is_the_open_book_chunk_by_chunk(database, repo, store, clock) -> None:
    """`stream_open_book` (what `pm positions`' book write diffs against) yields the rows of
    `open_book`, exact Decimals included, however small its chunks; a closed row is not in it."""
    broker = MemoryBroker(
        positions=[pos(f"S{i}", qty=f"{i}.5", price=f"{100 + i}.125") for i in range(1, 8)]
    )
    run(broker, repo, store, clock)
    broker.positions = broker.positions[1:]  # S1 closed outside pm
    run(broker, repo, store, clock)
    whole = store.open_book("acct-1")
    assert len(whole) == 6
    assert "S1" not in {row.symbol for row in whole}
    streamed = list(store.stream_open_book("acct-1", chunk=4))
    assert sorted(streamed, key=lambda r: r.id) == sorted(whole, key=lambda r: r.id)
    assert {r.symbol: (r.qty, r.current_price) for r in streamed}["S7"] == (
        Decimal("7.5"),
        Decimal("107.125"),
    )
    # the diff goes through a stream once and finds what it found in the list
    assert diff(broker.positions, iter(streamed)) == diff(broker.positions, whole)
    assert diff(broker.positions, store.stream_open_book("acct-1", chunk=2)).empty


def test_stored_book_diffs_as_the_records_do(database, repo, store, clock) -> None:
    """`stored_open_book` (what `pm positions`' book write diffs against): its rows made
    records are `open_book`, and `diff_stored` over them finds what `diff` finds, on both
    backends: nothing when the book is in step, each change when the broker moved on."""
    broker = MemoryBroker(
        positions=[pos(f"S{i}", qty=f"{i}.5", price=f"{100 + i}.125") for i in range(1, 8)]
    )
    run(broker, repo, store, clock)
    stored = store.stored_open_book("acct-1", chunk=3)
    records = [stored.record(row) for rows in stored.chunks for row in rows]
    assert sorted(records, key=lambda r: r.id) == sorted(
        store.open_book("acct-1"), key=lambda r: r.id
    )
    in_step = diff_stored(broker.positions, store.stored_open_book("acct-1", chunk=3))
    assert in_step.empty
    assert in_step.unchanged == 7
    moved = [
        pos("S1", qty="1.5", price="999"),  # repriced
        pos("S2", qty="3"),  # another quantity
        *broker.positions[2:6],  # S7 gone
        pos("NEW"),
    ]
    changes = diff_stored(moved, store.stored_open_book("acct-1", chunk=3))
    assert changes == diff(moved, store.open_book("acct-1"))
    assert [p.symbol for p in changes.added] == ["NEW"]
    assert [r.symbol for r in changes.removed] == ["S7"]
    assert [c.symbol for c in changes.conflicts] == ["S2"]
    assert [u.broker.symbol for u in changes.updated] == ["S1"]

"""`pm positions`' book write is a reconciliation: the same diff and the same apply."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from pm.db.engine import Database, open_database
from pm.services import positions as service
from pm.services.reconcile import write_fetched
from tests.support.clocks import FakeClock, stepping
from tests.support.memory import MemoryBroker
from tests.support.positions import position

pos = partial(position, entry="90")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with open_database(f"sqlite:///{tmp_path / 'pm.db'}") as database:
        yield database


class Writes:
    def __init__(self) -> None:
        self.pending: list[Callable[[], object]] = []

    def submit(self, write: Callable[[], object]) -> None:
        self.pending.append(write)

    def run(self) -> None:
        for write in self.pending:
            write()
        self.pending.clear()


def fetch(db: Database, broker: MemoryBroker, clock: FakeClock) -> None:
    writes = Writes()
    shown = service.fetch(broker, db.repository, clock, writes)
    assert len(writes.pending) == 1  # written after the output, not before
    assert {p.symbol for p in shown.positions} == {p.symbol for p in broker.positions}
    writes.run()


def open_qty(db: Database, account: str) -> dict[str, Decimal]:
    return {e.symbol: e.qty for e in db.repository().book.entries(account)}


def test_the_book_write_is_a_reconciliation_run(db: Database) -> None:
    broker = MemoryBroker(positions=[pos("AAPL"), pos("MSFT", "5"), pos("TSLA", "-2")])
    clock = stepping()
    fetch(db, broker, clock)
    store = db.repository().reconcile
    assert open_qty(db, "acct-1") == {"AAPL": 10, "MSFT": 5, "TSLA": -2}
    [first] = store.runs("acct-1")
    assert (first.trigger, first.status, first.added) == ("positions", "completed", 3)
    assert db.repository().accounts.account_for(broker.identity) == "acct-1"

    broker.positions = [pos("AAPL", "12"), pos("MSFT", "5", price="101")]  # TSLA gone
    fetch(db, broker, clock)
    assert open_qty(db, "acct-1") == {"AAPL": 12, "MSFT": 5}
    second = store.runs("acct-1")[0]
    assert (second.removed, second.conflicts, second.updated, second.added) == (1, 1, 1, 0)
    [conflict] = store.conflicts("acct-1")
    assert (conflict.symbol, conflict.db_value, conflict.broker_value) == ("AAPL", 10, 12)

    fetch(db, broker, clock)  # nothing changed: nothing written, no run
    assert len(store.runs("acct-1")) == 2


def test_skipped_while_a_reconciliation_holds_the_lock(db: Database) -> None:
    store = db.repository().reconcile
    db.repository().accounts.register_account("acct-1", "memory:acct-1", stepping().now())
    with store.lock("acct-1") as got:
        assert got
        assert write_fetched(store, "acct-1", [pos("AAPL")], stepping()) is None
    assert open_qty(db, "acct-1") == {}
    assert store.runs("acct-1") == []

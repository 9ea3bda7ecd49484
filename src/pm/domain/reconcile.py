"""Reconciliation as pure functions: the broker's positions against the book's, broker wins.

`diff` compares the broker's non-dust positions with the open positions stored in the book
and says what to change so the book equals the broker:

- ``added``: held at the broker, not open in the book (created with ``strategy_id`` NULL);
- ``removed``: open in the book, not held at the broker (closed externally; the row is kept
  and gets ``closed_at``);
- ``conflicts``: held on both sides with a different quantity (recorded, broker wins);
- ``updated``: same quantity, different prices (entry or current).

It also decides whether a run is due. No I/O, no clock reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import compress
from operator import attrgetter, eq, itemgetter
from typing import Any, Literal

from pm.domain.models import Position
from pm.domain.portfolio import drop_dust

RunStatus = Literal["completed", "skipped", "failed"]
Trigger = Literal["manual", "forced", "scheduled", "watch", "positions"]

#: The `error` text of a run skipped because another one holds the account's lock.
ALREADY_RUNNING = "already running"
BROKER_WINS = "broker_wins"


@dataclass(frozen=True, slots=True)
class BookPosition:
    """The columns of an open book row that the comparison needs (and nothing more)."""

    id: int
    symbol: str
    qty: Decimal
    avg_entry_price: Decimal
    current_price: Decimal


@dataclass(frozen=True, slots=True)
class Conflict:
    """A quantity the book and the broker disagree on; the book takes the broker's values."""

    position_id: int
    symbol: str
    db_qty: Decimal
    broker_qty: Decimal
    broker: Position


@dataclass(frozen=True, slots=True)
class PriceUpdate:
    position_id: int
    broker: Position


@dataclass(frozen=True, slots=True)
class ReconcileDiff:
    added: tuple[Position, ...] = ()
    removed: tuple[BookPosition, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    updated: tuple[PriceUpdate, ...] = ()
    unchanged: int = 0

    @property
    def changes(self) -> int:
        """How many rows applying this diff writes (positions, not conflict records)."""
        return len(self.added) + len(self.removed) + len(self.conflicts) + len(self.updated)

    @property
    def empty(self) -> bool:
        return self.changes == 0


def diff(broker: Iterable[Position], book: Iterable[BookPosition]) -> ReconcileDiff:
    """What to change in the book so its open positions equal the broker's non-dust ones.

    `book` is gone through once and may be a stream: only the rows that change are kept.
    A symbol the broker lists twice counts once (the last one wins). Book rows that are dust
    are not held at the broker (it is dropped there), so they are closed.
    """
    comparison = _Comparison(broker)
    for row in book:
        comparison.compare(row)
    return comparison.result()


@dataclass(frozen=True, slots=True)
class StoredBook:
    """The open book as the database returns it, for `diff_stored`: rows of ``(id, symbol,
    qty, avg_entry_price, current_price)`` with the numbers in their stored form, a chunk at
    a time; `stored` puts a Decimal into that form (exact text on SQLite; None: the driver
    returns Decimals), and `record` makes one row a `BookPosition`. Equal stored forms are
    equal numbers; unequal ones may still be (``1.0`` and ``1.00``): `record` decides then."""

    chunks: Iterable[Sequence[tuple[Any, ...]]]
    stored: Callable[[Decimal], object] | None
    record: Callable[[tuple[Any, ...]], BookPosition]


_SYMBOL, _BROKER_SYMBOL = itemgetter(1), attrgetter("symbol")
_NUMBERS = itemgetter(2, 3, 4)
_QTY, _ENTRY, _PRICE = attrgetter("qty"), attrgetter("avg_entry_price"), attrgetter("current_price")


def diff_stored(broker: Iterable[Position], book: StoredBook) -> ReconcileDiff:
    """`diff` against rows in their stored form: the same result as ``diff(broker,
    map(book.record, rows))``, but a row whose three numbers equal the broker's in stored form
    (the usual case: the book was written from the broker) is counted unchanged without
    becoming a record or three Decimals; the comparison of a chunk runs in C (``map``), and
    only the other rows go through `diff`'s own comparison."""
    comparison = _Comparison(broker)
    wanted, stored = comparison.wanted, book.stored
    for chunk in book.chunks:
        lives = list(map(wanted.get, map(_SYMBOL, chunk)))
        if not all(lives):  # rows the broker does not hold (None): the chunk row by row
            for row in chunk:
                comparison.compare(book.record(row))
            continue
        columns = [map(getter, lives) for getter in (_QTY, _ENTRY, _PRICE)]
        if stored is not None:
            columns = [map(stored, column) for column in columns]
        same = list(map(eq, map(_NUMBERS, chunk), zip(*columns, strict=True)))
        comparison.stored.update(map(_BROKER_SYMBOL, compress(lives, same)))
        comparison.unchanged += same.count(True)
        if not all(same):
            for row, equal in zip(chunk, same, strict=True):
                if not equal:
                    comparison.compare(book.record(row))
    return comparison.result()


class _Comparison:
    """One diff in progress: the broker's positions by symbol, and what the rows so far say."""

    def __init__(self, broker: Iterable[Position]) -> None:
        self.wanted = {p.symbol: p for p in drop_dust(broker)}
        self.removed: list[BookPosition] = []
        self.conflicts: list[Conflict] = []
        self.updated: list[PriceUpdate] = []
        self.unchanged = 0
        # the broker's symbols also open in the book (the broker's own strings: the book may
        # be a stream of rows, none of which is kept unless it changes)
        self.stored: set[str] = set()

    def compare(self, row: BookPosition) -> None:
        live = self.wanted.get(row.symbol)
        if live is None:
            self.removed.append(row)
            return
        self.stored.add(live.symbol)
        if live.qty != row.qty:
            self.conflicts.append(Conflict(row.id, row.symbol, row.qty, live.qty, live))
        elif live.current_price != row.current_price or live.avg_entry_price != row.avg_entry_price:
            self.updated.append(PriceUpdate(row.id, live))
        else:
            self.unchanged += 1

    def result(self) -> ReconcileDiff:
        stored, wanted = self.stored, self.wanted
        # every broker symbol is open in the book (the usual case): none to add
        added = (
            () if len(stored) == len(wanted) else (p for s, p in wanted.items() if s not in stored)
        )
        return ReconcileDiff(
            added=tuple(added),
            removed=tuple(self.removed),
            conflicts=tuple(self.conflicts),
            updated=tuple(self.updated),
            unchanged=self.unchanged,
        )


def next_due(last_completed: datetime | None, interval: timedelta) -> datetime | None:
    """When the next run is due; None means now (no completed run yet)."""
    return None if last_completed is None else last_completed + interval


def is_due(last_completed: datetime | None, interval: timedelta, now: datetime) -> bool:
    due = next_due(last_completed, interval)
    return due is None or now >= due


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One reconciliation attempt as stored and printed (`run_id` None until stored).

    For a skipped run, `error` says why ("already running", or "not due until ..."); for a
    failed one, what failed.
    """

    run_id: int | None
    account_id: str
    status: RunStatus
    trigger: Trigger
    started_at: datetime
    duration_ms: int
    added: int = 0
    removed: int = 0
    updated: int = 0
    conflicts: int = 0
    error: str | None = None
    finished_at: datetime | None = None
    host: str | None = None
    pid: int | None = None


@dataclass(frozen=True, slots=True)
class ConflictRecord:
    """A stored conflict: what the book said, what the broker said, how it was resolved."""

    id: int
    account_id: str
    run_id: int | None
    symbol: str
    field: str
    db_value: Decimal | None
    broker_value: Decimal | None
    resolution: str
    resolved: bool
    detected_at: datetime
    resolved_at: datetime | None


def elapsed_ms(start: datetime, end: datetime) -> int:
    return max(0, int((end - start) / timedelta(milliseconds=1)))

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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

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
    wanted = {p.symbol: p for p in drop_dust(broker)}
    added: list[Position] = []
    removed: list[BookPosition] = []
    conflicts: list[Conflict] = []
    updated: list[PriceUpdate] = []
    unchanged = 0
    # the broker's symbols also open in the book (the broker's own strings: `book` may be a
    # stream of rows, none of which is kept unless it changes)
    stored: set[str] = set()
    for row in book:
        live = wanted.get(row.symbol)
        if live is None:
            removed.append(row)
            continue
        stored.add(live.symbol)
        if live.qty != row.qty:
            conflicts.append(Conflict(row.id, row.symbol, row.qty, live.qty, live))
        elif live.current_price != row.current_price or live.avg_entry_price != row.avg_entry_price:
            updated.append(PriceUpdate(row.id, live))
        else:
            unchanged += 1
    added = [p for symbol, p in wanted.items() if symbol not in stored]
    return ReconcileDiff(
        added=tuple(added),
        removed=tuple(removed),
        conflicts=tuple(conflicts),
        updated=tuple(updated),
        unchanged=unchanged,
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

"""`pm reconcile`: make the book equal the broker (broker wins), at most once per interval.

One run, in order:

1. Which account: the one these credentials reached before (from the book), else ask the
   broker once and remember it.
2. Unless forced: skip when the last *completed* run of the account started less than the
   interval ago (status ``skipped``, ``error`` = "not due until ...").
3. Take the account's lock (across processes and hosts). Held elsewhere: ``skipped``,
   ``error`` = "already running" (or wait up to ``wait_s`` for it). Then check due again:
   the holder may just have finished a run.
4. Fetch the account and the positions concurrently while the book's open positions are
   read; drop dust; diff; apply the diff and store the run in one transaction; then log
   each external closure and conflict (only once they are committed).

A broker or database failure stores a ``failed`` run (if the database still works), leaves
the positions as they were, and comes back in `ReconcileResult.failure` for the caller to
raise after printing the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from pm.domain.errors import CheckFailed, DatabaseError, PmError
from pm.domain.models import Position
from pm.domain.reconcile import (
    ALREADY_RUNNING,
    ConflictRecord,
    ReconcileDiff,
    RunRecord,
    Trigger,
    diff,
    diff_stored,
    elapsed_ms,
    is_due,
    next_due,
)
from pm.domain.timestamps import iso
from pm.logging import get_logger
from pm.ports import Broker, Clock, Progress, ReconcileStore, Repository
from pm.services.live import account_and_positions

log = get_logger("pm.reconcile")

DEFAULT_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    run: RunRecord
    next_due_at: datetime | None
    failure: PmError | None = None


def reconcile(
    broker: Broker,
    account_id: str,
    repo: Repository,
    store: ReconcileStore,
    clock: Clock,
    *,
    interval: timedelta = DEFAULT_INTERVAL,
    trigger: Trigger = "manual",
    force: bool = False,
    wait_s: float = 0,
    progress: Progress | None = None,
) -> ReconcileResult:
    """Run one reconciliation of `account_id`, the account `broker` reaches (see the module
    doc)."""
    if not force:
        skipped = _not_due(store, account_id, trigger, interval, clock)
        if skipped is not None:
            return skipped
    with store.lock(account_id, wait_s) as got:
        if not got:
            run = store.save_run(_skipped(account_id, trigger, clock.now(), ALREADY_RUNNING))
            log.info("reconcile skipped", account_id=account_id, reason=ALREADY_RUNNING)
            return ReconcileResult(run, next_due(store.last_completed_at(account_id), interval))
        if not force:
            skipped = _not_due(store, account_id, trigger, interval, clock)
            if skipped is not None:
                return skipped
        return _run_locked(broker, repo, store, clock, account_id, trigger, interval, progress)


def write_fetched(
    store: ReconcileStore, account_id: str, positions: Sequence[Position], clock: Clock
) -> RunRecord | None:
    """Write positions fetched for display (`pm positions`) into the book: a reconciliation
    with trigger ``positions``, so the book changes by one path only. None when nothing was
    written: the book already equals them, or another run holds the account's lock (it is
    writing the same positions)."""
    with store.lock(account_id) as got:
        if not got:
            return None
        run = RunRecord(None, account_id, "completed", "positions", clock.now(), 0)
        # the book streamed in chunks, in stored form: only the diff's result is held, not a
        # copy of the book, and the rows equal to the broker's never become records
        changes = diff_stored(positions, store.stored_open_book(account_id))
        if changes.empty:
            return None
        done = store.apply(run, changes, clock)
    _log_changes(account_id, changes)
    return done


def _skipped(account_id: str, trigger: Trigger, now: datetime, why: str) -> RunRecord:
    return RunRecord(
        run_id=None,
        account_id=account_id,
        status="skipped",
        trigger=trigger,
        started_at=now,
        duration_ms=0,
        error=why,
        finished_at=now,
    )


def _not_due(
    store: ReconcileStore, account_id: str, trigger: Trigger, interval: timedelta, clock: Clock
) -> ReconcileResult | None:
    now = clock.now()
    last = store.last_completed_at(account_id)
    if is_due(last, interval, now):
        return None
    due = next_due(last, interval)
    assert due is not None
    run = store.save_run(_skipped(account_id, trigger, now, f"not due until {iso(due)}"))
    return ReconcileResult(run, due)


def _run_locked(
    broker: Broker,
    repo: Repository,
    store: ReconcileStore,
    clock: Clock,
    account_id: str,
    trigger: Trigger,
    interval: timedelta,
    progress: Progress | None,
) -> ReconcileResult:
    started = clock.now()
    run = RunRecord(
        run_id=None,
        account_id=account_id,
        status="completed",
        trigger=trigger,
        started_at=started,
        duration_ms=0,
    )
    try:
        with account_and_positions(broker) as pending:
            book = store.open_book(account_id)
            account, positions = pending.result()
        if account.account_id != account_id:
            repo.accounts.register_account(account.account_id, broker.identity, clock.now())
            raise CheckFailed(
                f"these credentials now reach account {account.account_id}, not {account_id}; "
                "run pm reconcile again to reconcile the new account"
            )
        changes = diff(positions, book)
        done = store.apply(run, changes, clock, progress)
    except PmError as error:
        return _failed(store, run, clock, interval, error)
    except Exception as error:  # a bug: still record the failed run, then let it surface
        _failed(store, run, clock, interval, error)
        raise
    _log_changes(account_id, changes)  # once committed, and outside the run's duration
    log.info(
        "reconciled",
        account_id=account_id,
        added=done.added,
        removed=done.removed,
        updated=done.updated,
        conflicts=done.conflicts,
        duration_ms=done.duration_ms,
    )
    return ReconcileResult(done, done.started_at + interval)


def _log_changes(account_id: str, changes: ReconcileDiff) -> None:
    for row in changes.removed:
        log.warning(
            "position closed outside pm",
            account_id=account_id,
            symbol=row.symbol,
            qty=str(row.qty),
            position_id=row.id,
        )
    for conflict in changes.conflicts:
        log.warning(
            "position conflict",
            account_id=account_id,
            symbol=conflict.symbol,
            book_qty=str(conflict.db_qty),
            broker_qty=str(conflict.broker_qty),
            resolution="broker_wins",
        )


def _failed(
    store: ReconcileStore,
    run: RunRecord,
    clock: Clock,
    interval: timedelta,
    error: BaseException,
) -> ReconcileResult:
    now = clock.now()
    message = error.message if isinstance(error, PmError) else f"{type(error).__name__}: {error}"
    failed = RunRecord(
        run_id=None,
        account_id=run.account_id,
        status="failed",
        trigger=run.trigger,
        started_at=run.started_at,
        duration_ms=elapsed_ms(run.started_at, now),
        error=message,
        finished_at=now,
    )
    log.error("reconcile failed", account_id=run.account_id, error=message)
    with suppress(DatabaseError):  # the database is down too: the caller reports the error
        failed = store.save_run(failed)
    cause = error if isinstance(error, PmError) else None
    try:
        due = next_due(store.last_completed_at(run.account_id), interval)
    except DatabaseError:
        due = None
    return ReconcileResult(failed, due, cause)


# -- status, history, conflicts ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReconcileStatus:
    account_id: str
    last_run: RunRecord | None
    last_completed_at: datetime | None
    running: bool
    next_due_at: datetime | None  # None: due now (never completed)
    due_now: bool
    interval: timedelta


def status(
    store: ReconcileStore,
    account_id: str,
    clock: Clock,
    *,
    interval: timedelta = DEFAULT_INTERVAL,
) -> ReconcileStatus:
    runs = store.runs(account_id, limit=1)
    last_completed = store.last_completed_at(account_id)
    return ReconcileStatus(
        account_id=account_id,
        last_run=runs[0] if runs else None,
        last_completed_at=last_completed,
        running=store.is_running(account_id),
        next_due_at=next_due(last_completed, interval),
        due_now=is_due(last_completed, interval, clock.now()),
        interval=interval,
    )


def history(
    store: ReconcileStore,
    account_id: str,
    *,
    since: datetime | None,
    limit: int | None,
) -> list[RunRecord]:
    return store.runs(account_id, since=since, limit=limit)


def conflicts(
    store: ReconcileStore,
    account_id: str,
    *,
    since: datetime | None,
    limit: int | None,
) -> list[ConflictRecord]:
    return store.conflicts(account_id, since=since, limit=limit)

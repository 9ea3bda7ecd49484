"""`pm snapshot`: account and positions from the broker, P/L, and a stored point in time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from pm.domain.errors import BrokerUnavailable, NotFound
from pm.domain.portfolio import Snapshot, build_snapshot
from pm.ports import Broker, Clock, Repository, WriteBehind
from pm.services import trades
from pm.services.live import account_and_positions, source_of


@dataclass(frozen=True, slots=True)
class SnapshotResult:
    """A live snapshot, or (with allow_stale) the last stored one and why it is not live."""

    snapshot: Snapshot
    unavailable: BrokerUnavailable | None = None
    age: timedelta | None = None


def take(
    broker: Broker,
    open_repo: Callable[[], Repository],
    clock: Clock,
    writes: WriteBehind,
    *,
    allow_stale: bool = False,
    stored_account: Callable[[], str] | None = None,
) -> SnapshotResult:
    """Fetch account and positions at once, compute P/L, and store the point after output.

    The database is opened while the two broker requests are in flight, so their latency
    hides its start-up. A broker failure writes nothing; with `allow_stale` the last stored
    snapshot of `stored_account()` (the account decided by the caller, NotFound when never
    seen) is shown instead.
    """
    with account_and_positions(broker) as pending:
        repo = open_repo()
        try:
            account, positions = pending.result()
        except BrokerUnavailable as error:
            if not allow_stale:
                raise
            return _last_stored(repo, clock, error, stored_account)
    if broker.simulated:  # the demo's activities are local: keep its ledger current
        trades.sync_warning(broker, repo, account.account_id, clock, touch=False)
    realized = trades.realized(repo, account.account_id)
    snapshot = build_snapshot(
        account,
        positions,
        realized_pl=realized.pl,
        source=source_of(broker, clock),
        realized_pl_from=realized.since,
    )

    def store() -> None:
        repo.accounts.register_account(account.account_id, broker.identity, snapshot.timestamp)
        repo.snapshots.save(snapshot)

    writes.submit(store)
    return SnapshotResult(snapshot)


def _last_stored(
    repo: Repository,
    clock: Clock,
    error: BrokerUnavailable,
    stored_account: Callable[[], str] | None,
) -> SnapshotResult:
    try:
        account_id = stored_account() if stored_account is not None else None
    except NotFound:
        account_id = None
    stored = repo.snapshots.latest(account_id) if account_id else None
    if stored is None:
        raise BrokerUnavailable(
            f"{error.message}; and no stored snapshot to show",
            broker=error.broker,
            last_attempt=error.last_attempt,
        ) from error
    stale = replace(stored, source=replace(stored.source, type="stale"))
    return SnapshotResult(stale, unavailable=error, age=clock.now() - stored.timestamp)

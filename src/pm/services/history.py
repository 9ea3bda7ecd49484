"""`pm history`: the stored point-in-time snapshots of this account."""

from __future__ import annotations

from datetime import datetime

from pm.domain.portfolio import Snapshot
from pm.ports import Repository


def stored(
    repo: Repository, broker_identity: str, *, since: datetime | None, limit: int | None
) -> list[Snapshot]:
    """Newest first; empty when these credentials have never taken a snapshot here."""
    account_id = repo.accounts.account_for(broker_identity)
    if account_id is None:
        return []
    return repo.snapshots.history(account_id, since=since, limit=limit)

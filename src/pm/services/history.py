"""`pm history`: the stored point-in-time snapshots of this account."""

from __future__ import annotations

from datetime import datetime

from pm.domain.portfolio import Snapshot
from pm.ports import Repository


def stored(
    repo: Repository, account_id: str, *, since: datetime | None, limit: int | None
) -> list[Snapshot]:
    """The account's snapshots, newest first."""
    return repo.snapshots.history(account_id, since=since, limit=limit)

"""`pm audit`: the audit trail of destructive actions (close, close-all, breaker changes)."""

from __future__ import annotations

from datetime import datetime

from pm.ports import AuditEntry, AuditLog


def entries(
    log: AuditLog, account_id: str, *, since: datetime | None, limit: int | None
) -> list[AuditEntry]:
    """The account's entries, newest first (pending ones too: an action that never finished
    shows as pending)."""
    return log.entries(account_id, since=since, limit=limit)

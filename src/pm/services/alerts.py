"""`pm alerts`: the risk alerts and limit breaches stored by earlier `pm risk` runs."""

from __future__ import annotations

from datetime import datetime

from pm.domain.risk import AlertLevel
from pm.ports import AlertHistory, StoredAlert

#: Each level with those at or above it: asking for warnings shows critical alerts too.
AT_OR_ABOVE: dict[AlertLevel, tuple[AlertLevel, ...]] = {
    "warning": ("warning", "critical"),
    "critical": ("critical",),
}


def stored(
    store: AlertHistory,
    account_id: str,
    *,
    since: datetime | None,
    level: AlertLevel | None,
    limit: int | None,
) -> list[StoredAlert]:
    """The account's stored alerts, newest first; `level` keeps those at or above it."""
    levels = None if level is None else AT_OR_ABOVE[level]
    return store.alert_history(account_id, since=since, levels=levels, limit=limit)

"""The circuit breaker (`pm breaker`)."""

from __future__ import annotations

from typing import Any

from pm.domain.breaker import BreakerStatus


def status(s: BreakerStatus, *, changed: bool | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account_id": s.account_id,
        "state": s.state,
        "halted": s.halted,
        "reason": s.reason,
        "changed_by": s.changed_by,
        "changed_at": s.changed_at,
    }
    if changed is not None:
        data["changed"] = changed
    return data

"""Audit log entries (`pm audit`); in CSV the nested `arguments` and `outcome_details` are
one cell of JSON text each."""

from __future__ import annotations

from typing import Any

from pm.ports import AuditEntry

COLUMNS = (
    "id",
    "account_id",
    "created_at",
    "action",
    "outcome",
    "arguments",
    "outcome_details",
    "os_user",
    "host",
    "finished_at",
)


def entry(e: AuditEntry) -> dict[str, Any]:
    return {name: getattr(e, name) for name in COLUMNS}

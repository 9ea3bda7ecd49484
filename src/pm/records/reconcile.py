"""Reconciliation runs, status and conflicts (`pm reconcile ...`, `pm watch`)."""

from __future__ import annotations

from typing import Any

from pm.domain.reconcile import ConflictRecord, RunRecord
from pm.services.reconcile import ReconcileStatus

RUN_COLUMNS = (
    "account_id",
    "run_id",
    "status",
    "trigger",
    "started_at",
    "duration_ms",
    "added",
    "removed",
    "updated",
    "conflicts",
    "error",
)

CONFLICT_COLUMNS = (
    "account_id",
    "id",
    "run_id",
    "symbol",
    "field",
    "book_qty",
    "broker_qty",
    "resolution",
    "resolved",
    "detected_at",
    "resolved_at",
)


def run(r: RunRecord) -> dict[str, Any]:
    """The run record, exactly these fields (documented in the README)."""
    return {
        "account_id": r.account_id,
        "run_id": r.run_id,
        "status": r.status,
        "trigger": r.trigger,
        "started_at": r.started_at,
        "duration_ms": r.duration_ms,
        "added": r.added,
        "removed": r.removed,
        "updated": r.updated,
        "conflicts": r.conflicts,
        "error": r.error,
    }


def status(s: ReconcileStatus) -> dict[str, Any]:
    return {
        "account_id": s.account_id,
        "running": s.running,
        "due_now": s.due_now,
        "next_due_at": s.next_due_at,
        "interval_s": int(s.interval.total_seconds()),
        "last_completed_at": s.last_completed_at,
        "last_run": None if s.last_run is None else run(s.last_run),
    }


def conflict(c: ConflictRecord) -> dict[str, Any]:
    return {
        "account_id": c.account_id,
        "id": c.id,
        "run_id": c.run_id,
        "symbol": c.symbol,
        "field": c.field,
        "book_qty": c.db_value,
        "broker_qty": c.broker_value,
        "resolution": c.resolution,
        "resolved": c.resolved,
        "detected_at": c.detected_at,
        "resolved_at": c.resolved_at,
    }

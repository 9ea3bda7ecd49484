"""How reconciliation runs, status and conflicts look: a line or a table, or JSON."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pm.cli.output import print_json, stderr_console, stdout_console
from pm.cli.views.common import quantity
from pm.domain.reconcile import ConflictRecord, RunRecord
from pm.domain.timestamps import iso
from pm.ports import Progress
from pm.services.reconcile import ReconcileResult, ReconcileStatus

#: Below this many row changes no progress bar is worth drawing.
PROGRESS_THRESHOLD = 2000


def run_json(run: RunRecord) -> dict[str, Any]:
    """The run record, exactly these fields (documented in the README)."""
    return {
        "run_id": run.run_id,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": run.started_at,
        "duration_ms": run.duration_ms,
        "added": run.added,
        "removed": run.removed,
        "updated": run.updated,
        "conflicts": run.conflicts,
        "error": run.error,
    }


def summary(run: RunRecord) -> str:
    if run.status == "completed":
        return (
            f"completed in {run.duration_ms} ms: {run.added} added, {run.removed} removed, "
            f"{run.updated} updated, {run.conflicts} conflicts"
        )
    return f"{run.status}: {run.error}"


def show(result: ReconcileResult, json_: bool) -> None:
    run = result.run
    if json_:
        print_json(run_json(run))
        return
    line = f"reconcile {summary(run)}"
    if result.next_due_at is not None and run.status == "completed":
        line += f" (next due {iso(result.next_due_at)})"
    stdout_console().print(line, markup=False)


@contextmanager
def progress() -> Iterator[Progress | None]:
    """A progress callback drawing a bar on stderr, only at a terminal and for large work."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress as Bar

    bar: dict[str, Any] = {}

    def report(done: int, total: int) -> None:
        if total < PROGRESS_THRESHOLD:
            return
        if not bar:
            bar["bar"] = Bar(console=stderr_console(), transient=True)
            bar["bar"].start()
            bar["task"] = bar["bar"].add_task("applying", total=total)
        bar["bar"].update(bar["task"], completed=done)

    try:
        yield report
    finally:
        if bar:
            bar["bar"].stop()


def status_json(status: ReconcileStatus) -> dict[str, Any]:
    return {
        "account_id": status.account_id,
        "running": status.running,
        "due_now": status.due_now,
        "next_due_at": status.next_due_at,
        "interval_s": int(status.interval.total_seconds()),
        "last_completed_at": status.last_completed_at,
        "last_run": None if status.last_run is None else run_json(status.last_run),
    }


def show_status(status: ReconcileStatus, json_: bool) -> None:
    if json_:
        print_json(status_json(status))
        return
    last = status.last_run
    due = "now" if status.due_now else iso(status.next_due_at) if status.next_due_at else "now"
    lines = [
        f"account      {status.account_id}",
        f"running now  {'yes' if status.running else 'no'}",
        f"last run     {iso(last.started_at) + '  ' + summary(last) if last else 'never'}",
        f"last completed {iso(status.last_completed_at) if status.last_completed_at else 'never'}",
        f"next due     {due} (interval {int(status.interval.total_seconds())} s)",
    ]
    stdout_console().print("\n".join(lines), markup=False)


def show_history(runs: list[RunRecord], json_: bool) -> None:
    if json_:
        print_json([run_json(r) for r in runs])
        return
    if not runs:
        stderr_console().print("no reconciliation runs yet", markup=False)
        return
    from rich.table import Table

    table = Table()
    for name in ("Run", "Started", "Status", "Trigger", "ms", "+", "-", "~", "!", "Note"):
        table.add_column(
            name,
            justify="left" if name in ("Started", "Status", "Trigger", "Note") else "right",
            no_wrap=name != "Note",
        )
    for r in runs:
        table.add_row(
            str(r.run_id),
            iso(r.started_at),
            r.status,
            r.trigger,
            str(r.duration_ms),
            str(r.added),
            str(r.removed),
            str(r.updated),
            str(r.conflicts),
            r.error or "",
        )
    stdout_console().print(table)


def conflict_json(c: ConflictRecord) -> dict[str, Any]:
    return {
        "id": c.id,
        "run_id": c.run_id,
        "symbol": c.symbol,
        "field": c.field,
        "db_value": c.db_value,
        "broker_value": c.broker_value,
        "resolution": c.resolution,
        "resolved": c.resolved,
        "detected_at": c.detected_at,
        "resolved_at": c.resolved_at,
    }


def show_conflicts(rows: list[ConflictRecord], json_: bool) -> None:
    if json_:
        print_json([conflict_json(c) for c in rows])
        return
    if not rows:
        stderr_console().print("no conflicts recorded", markup=False)
        return
    from rich.table import Table

    table = Table()
    for name in ("Detected", "Run", "Symbol", "Field", "Book", "Broker", "Resolution"):
        table.add_column(
            name, justify="right" if name in ("Run", "Book", "Broker") else "left", no_wrap=True
        )
    for c in rows:
        table.add_row(
            iso(c.detected_at),
            str(c.run_id or ""),
            c.symbol,
            c.field,
            "" if c.db_value is None else quantity(c.db_value),
            "" if c.broker_value is None else quantity(c.broker_value),
            c.resolution,
        )
    stdout_console().print(table)

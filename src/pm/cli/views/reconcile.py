"""How reconciliation runs, status and conflicts look: a line or a table; records for the
formats."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text

from pm.cli.terminal import Shown
from pm.cli.views.common import quantity, when
from pm.cli.views.table import Col, FitTable, time_col
from pm.domain.reconcile import ConflictRecord, RunRecord
from pm.records import reconcile as records
from pm.services.reconcile import ReconcileResult, ReconcileStatus

#: Below this many row changes no progress bar is worth drawing.
PROGRESS_THRESHOLD = 2000


def summary(run: RunRecord) -> str:
    if run.status == "completed":
        return (
            f"completed in {run.duration_ms} ms: {run.added} added, {run.removed} removed, "
            f"{run.updated} updated, {run.conflicts} conflicts"
        )
    return f"{run.status}: {run.error}"


def result(done: ReconcileResult) -> Shown:
    run = done.run
    if run.status == "failed":  # the error line that follows says why: said once
        line = f"reconcile failed (run {run.run_id} stored; the book is untouched)"
    else:
        line = f"reconcile {summary(run)}"
    if done.next_due_at is not None and run.status == "completed":
        line += f" (next due {when(done.next_due_at)})"
    return Shown(records.run(run), Text(line))


def status(s: ReconcileStatus) -> Shown:
    last = s.last_run
    due = "now" if s.due_now or s.next_due_at is None else when(s.next_due_at)
    lines = [
        f"account        {s.account_id}",
        f"running now    {'yes' if s.running else 'no'}",
        f"last run       {when(last.started_at) + '  ' + summary(last) if last else 'never'}",
        f"last completed {when(s.last_completed_at) or 'never'}",
        f"next due       {due} (interval {int(s.interval.total_seconds())} s)",
    ]
    return Shown(records.status(s), Text("\n".join(lines)))


RUN_COLUMNS = (
    Col("Run", right=True),
    time_col("Started", 1),
    Col("Status"),
    Col("Trigger", 3),
    Col("ms", 4, right=True),
    Col("+", right=True),
    Col("-", right=True),
    Col("~", right=True),
    Col("!", right=True),
    Col("Note", 2, wrap=True),
)


def history(runs: list[RunRecord]) -> Shown:
    return Shown(
        [records.run(r) for r in runs],
        lambda: _runs_table(runs),
        columns=records.RUN_COLUMNS,
        empty="no reconciliation runs yet",
    )


def _runs_table(runs: list[RunRecord]) -> FitTable:
    return FitTable(
        RUN_COLUMNS,
        [
            (
                str(r.run_id),
                when(r.started_at),
                r.status,
                r.trigger,
                str(r.duration_ms),
                str(r.added),
                str(r.removed),
                str(r.updated),
                str(r.conflicts),
                escape(r.error or ""),
            )
            for r in runs
        ],
        notes=["+ added, - removed, ~ updated, ! conflicts"],
    )


CONFLICT_COLUMNS = (
    time_col("Detected", 1),
    Col("Run", 2, right=True),
    Col("Symbol"),
    Col("Field", 4),
    Col("Book", right=True),
    Col("Broker", right=True),
    Col("Resolution", 3),
)


def conflicts(rows: list[ConflictRecord]) -> Shown:
    return Shown(
        [records.conflict(c) for c in rows],
        lambda: _conflicts_table(rows),
        columns=records.CONFLICT_COLUMNS,
        empty="no conflicts recorded",
    )


def _conflicts_table(rows: list[ConflictRecord]) -> FitTable:
    return FitTable(
        CONFLICT_COLUMNS,
        [
            (
                when(c.detected_at),
                str(c.run_id or ""),
                c.symbol,
                c.field,
                "" if c.db_value is None else quantity(c.db_value),
                "" if c.broker_value is None else quantity(c.broker_value),
                c.resolution,
            )
            for c in rows
        ],
    )

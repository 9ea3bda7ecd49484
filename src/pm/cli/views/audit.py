"""How the audit trail looks: a table, a JSON array, or CSV (nested fields as JSON text)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pm.cli.output import json_text, print_csv, print_json, stdout_console
from pm.domain.timestamps import iso
from pm.ports import AuditEntry

FIELDS = (
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


def as_json(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in FIELDS}


def _csv_row(entry: AuditEntry) -> dict[str, Any]:
    row = as_json(entry)
    for nested in ("arguments", "outcome_details"):
        row[nested] = None if row[nested] is None else json_text(row[nested])
    return row


def _arguments(entry: AuditEntry) -> str:
    return " ".join(f"{k}={v}" for k, v in entry.arguments.items() if v not in (None, False))


def show(entries: Sequence[AuditEntry], *, json_: bool = False, csv: bool = False) -> None:
    if json_:
        print_json([as_json(e) for e in entries])
        return
    if csv:
        print_csv(FIELDS, (_csv_row(e) for e in entries))
        return
    from rich.table import Table

    table = Table(caption="audit log, newest first (--json for the outcome details)")
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Created", no_wrap=True)
    table.add_column("Action", no_wrap=True)
    table.add_column("Outcome", no_wrap=True)
    table.add_column("By", overflow="fold")
    table.add_column("Arguments", overflow="fold", ratio=1)
    for e in entries:
        table.add_row(
            str(e.id),
            iso(e.created_at.replace(microsecond=0)),
            e.action,
            e.outcome,
            f"{e.os_user}@{e.host}",
            _arguments(e),
        )
    stdout_console().print(table)

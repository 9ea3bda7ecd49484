"""How the circuit breaker looks: one line at a terminal, one JSON object with --json."""

from __future__ import annotations

from typing import Any

from pm.cli.output import print_json, stdout_console
from pm.domain.breaker import BreakerStatus
from pm.domain.timestamps import iso


def as_json(status: BreakerStatus, *, changed: bool | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account_id": status.account_id,
        "state": status.state,
        "halted": status.halted,
        "reason": status.reason,
        "changed_by": status.changed_by,
        "changed_at": status.changed_at,
    }
    if changed is not None:
        data["changed"] = changed
    return data


def show(status: BreakerStatus, json_: bool, *, changed: bool | None = None) -> None:
    if json_:
        print_json(as_json(status, changed=changed))
        return
    if status.halted:
        line = f"[bold red]HALTED[/]  {status.reason or ''}"
    else:
        line = "[bold green]ACTIVE[/]"
    when = ""
    if status.changed_at is not None:
        verb = "tripped" if status.halted else "reset"
        when = f"  ({verb} by {status.changed_by} at {iso(status.changed_at)})"
    note = ""
    if changed is False:
        note = "  [dim](unchanged: it was already in this state)[/]"
    stdout_console().print(
        f"Circuit breaker for {status.account_id}: {line}{when}{note}", markup=True
    )

"""How the circuit breaker looks: one line at a terminal, one record with --json."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text

from pm.cli.terminal import Shown
from pm.cli.views.common import when
from pm.domain.breaker import BreakerStatus
from pm.records import breaker as records


def status(s: BreakerStatus, *, changed: bool | None = None) -> Shown:
    line = f"[bold red]HALTED[/]  {escape(s.reason or '')}" if s.halted else "[bold green]ACTIVE[/]"
    since = ""
    if s.changed_at is not None:
        verb = "tripped" if s.halted else "reset"
        since = f"  ({verb} by {escape(s.changed_by or '')} at {when(s.changed_at)})"
    note = "  [dim](unchanged: it was already in this state)[/]" if changed is False else ""
    text = Text.from_markup(f"Circuit breaker for {s.account_id}: {line}{since}{note}")
    return Shown(records.status(s, changed=changed), text)

"""How the circuit breaker looks: one line at a terminal, one record with --json."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pm.cli.terminal import Shown
from pm.cli.views.common import markup_escaped, when
from pm.domain.breaker import BreakerStatus
from pm.records import breaker as records

if TYPE_CHECKING:
    from rich.console import RenderableType


def status(s: BreakerStatus, *, changed: bool | None = None) -> Shown:
    return Shown(records.status(s, changed=changed), lambda: _line(s, changed))


def _line(s: BreakerStatus, changed: bool | None) -> RenderableType:
    from rich.text import Text

    reason = markup_escaped(s.reason or "")
    line = f"[bold red]HALTED[/]  {reason}" if s.halted else "[bold green]ACTIVE[/]"
    since = ""
    if s.changed_at is not None:
        verb = "tripped" if s.halted else "reset"
        since = f"  ({verb} by {markup_escaped(s.changed_by or '')} at {when(s.changed_at)})"
    note = "  [dim](unchanged: it was already in this state)[/]" if changed is False else ""
    return Text.from_markup(f"Circuit breaker for {s.account_id}: {line}{since}{note}")

"""How close and close-all look: the plan (stderr, before the question), then the result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pm.cli.terminal import Shown
from pm.cli.views.common import markup_escaped, money, quantity
from pm.cli.views.table import Col, FitTable
from pm.records import close as records
from pm.services.close import CloseAllDone, CloseAllPlan, CloseDone, ClosePlan

if TYPE_CHECKING:
    from rich.console import RenderableType


def plan(p: ClosePlan) -> str:
    """What `pm close` will do, said before it asks."""
    held = p.position
    if p.everything:
        how = "all of"
    elif p.percentage is not None:
        how = f"{p.percentage:f} % of"
    else:
        how = f"{quantity(p.qty)} of"
    return (
        f"Will {p.side} {quantity(p.qty)} {held.symbol} to close {how} the position "
        f"({quantity(held.qty)} held, about {money(p.estimated_value)} at "
        f"{money(held.current_price)}), account {p.account_id}."
    )


def all_plan(p: CloseAllPlan) -> RenderableType:
    """What `pm close-all` will do: the sentence, then each position."""
    from rich.console import Group
    from rich.text import Text

    sentence = Text(
        f"Will cancel every open order and close all {len(p.positions)} positions "
        f"(about {money(p.estimated_value)}) in account {p.account_id}, and trip the "
        'circuit breaker ("emergency close-all").'
    )
    positions = FitTable(
        (Col("symbol"), Col("qty", right=True), Col("value", right=True)),
        [(x.symbol, quantity(x.qty), money(x.market_value)) for x in p.positions],
        box=False,
    )
    return Group(sentence, positions)


def close(done: CloseDone) -> Shown:
    o = done.order
    line = (
        f"sent {o.side} {quantity(done.plan.qty)} {done.plan.symbol}: order {o.id} "
        f"{o.status} (audit #{done.audit_id})"
    )
    return Shown(records.close(done), line)


def failure_line(done: CloseAllDone) -> str:
    """The closing error line: which symbols failed (the table above says why)."""
    failed = ", ".join(r.symbol for r in done.failed)
    return f"close-all: {len(done.failed)} of {len(done.results)} failed ({failed})"


def close_all(done: CloseAllDone) -> Shown:
    return Shown(records.close_all(done), lambda: _close_all(done))


def _close_all(done: CloseAllDone) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    rows = []
    for r in done.results:
        if r.ok and r.order is not None:
            amount = quantity(r.order.qty or r.order.filled_qty)
            text = f"[green]{r.order.side} {amount}: {r.order.status}[/]"
        else:
            text = f"[red]{markup_escaped(r.error or 'failed')}[/]"
        rows.append((r.symbol, str(r.status_code), text))
    table = FitTable(
        (Col("symbol"), Col("status", 1, right=True), Col("result", wrap=True)), rows, box=False
    )
    line = Text(
        f"{done.outcome}: {sum(1 for r in done.results if r.ok)} closed, "
        f"{len(done.failed)} failed; circuit breaker {done.breaker.state} "
        f"(audit #{done.audit_id})"
    )
    return Group(table, line)

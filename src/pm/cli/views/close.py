"""How close and close-all look: the plan (stderr, before the question), then the result."""

from __future__ import annotations

from typing import Any

from pm.cli.output import print_json, stderr_console, stdout_console
from pm.cli.views.common import money, quantity, source_json
from pm.domain.models import CloseResult
from pm.services.close import (
    CloseAllDone,
    CloseAllPlan,
    CloseDone,
    ClosePlan,
    order_details,
)


def show_plan(plan: ClosePlan) -> None:
    p = plan.position
    how = (
        "all of"
        if plan.everything
        else (
            f"{plan.percentage} % of" if plan.percentage is not None else f"{quantity(plan.qty)} of"
        )
    )
    stderr_console().print(
        f"Will {plan.side} {quantity(plan.qty)} {p.symbol} to close {how} the position "
        f"({quantity(p.qty)} held, about {money(plan.estimated_value)} at "
        f"{money(p.current_price)}), account {plan.account_id}.",
        markup=False,
    )


def show_all_plan(plan: CloseAllPlan) -> None:
    err = stderr_console()
    err.print(
        f"Will cancel every open order and close all {len(plan.positions)} positions "
        f"(about {money(plan.estimated_value)}) in account {plan.account_id}, and trip the "
        'circuit breaker ("emergency close-all").',
        markup=False,
    )
    for p in plan.positions:
        err.print(f"  {p.symbol:<10} {quantity(p.qty):>16}  {money(p.market_value):>14}")


def close_json(done: CloseDone) -> dict[str, Any]:
    plan = done.plan
    return {
        "symbol": plan.symbol,
        "side": plan.side,
        "qty": plan.qty,
        "held_qty": plan.position.qty,
        "percentage": plan.percentage,
        "estimated_value": plan.estimated_value,
        "outcome": "succeeded",
        "order": order_details(done.order),
        "audit_id": done.audit_id,
        "account_id": plan.account_id,
        "source": source_json(done.source),
    }


def show_close(done: CloseDone, json_: bool) -> None:
    if json_:
        print_json(close_json(done))
        return
    o = done.order
    stdout_console().print(
        f"[green]sent[/] {o.side} {quantity(done.plan.qty)} {done.plan.symbol}: order {o.id} "
        f"{o.status} (audit #{done.audit_id})",
        markup=True,
    )


def _result(r: CloseResult) -> dict[str, Any]:
    return {
        "symbol": r.symbol,
        "status": r.status_code,
        "ok": r.ok,
        "error": r.error,
        "order": order_details(r.order) if r.order is not None else None,
    }


def close_all_json(done: CloseAllDone) -> dict[str, Any]:
    return {
        "outcome": done.outcome,
        "closed": sum(1 for r in done.results if r.ok),
        "failed": len(done.failed),
        "results": [_result(r) for r in done.results],
        "circuit_breaker": done.breaker.state,
        "circuit_breaker_reason": done.breaker.reason,
        "audit_id": done.audit_id,
        "account_id": done.plan.account_id,
        "source": source_json(done.source),
    }


def failure_line(done: CloseAllDone) -> str:
    failed = ", ".join(f"{r.symbol} ({r.error or r.status_code})" for r in done.failed)
    return f"close-all: {len(done.failed)} of {len(done.results)} failed: {failed}"


def show_close_all(done: CloseAllDone, json_: bool) -> None:
    if json_:
        print_json(close_all_json(done))
        return
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    for name in ("symbol", "status", "result"):
        table.add_column(name)
    for r in done.results:
        if r.ok and r.order is not None:
            amount = quantity(r.order.qty or r.order.filled_qty)
            text = f"[green]{r.order.side} {amount}: {r.order.status}[/]"
        else:
            text = f"[red]{r.error or 'failed'}[/]"
        table.add_row(r.symbol, str(r.status_code), text)
    console = stdout_console()
    console.print(table)
    console.print(
        f"{done.outcome}: {sum(1 for r in done.results if r.ok)} closed, "
        f"{len(done.failed)} failed; circuit breaker {done.breaker.state} "
        f"(audit #{done.audit_id})"
    )

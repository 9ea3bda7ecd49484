"""How a pre-trade validation looks: a checklist at a terminal, one JSON object with --json."""

from __future__ import annotations

from typing import Any

from pm.cli.output import print_json, stdout_console
from pm.cli.views.common import money, quantity, source_json
from pm.domain.orders import resulting_qty
from pm.services.validate import ValidationResult


def as_json(result: ValidationResult) -> dict[str, Any]:
    d = result.decision
    return {
        "approved": d.approved,
        "position_limit_ok": d.position_limit_ok,
        "sector_limit_ok": d.sector_limit_ok,
        "daily_loss_ok": d.daily_loss_ok,
        "circuit_breaker_ok": d.circuit_breaker_ok,
        "buying_power_ok": d.buying_power_ok,
        "estimated_position_value": d.estimated_position_value,
        "position_pct": d.position_pct,
        "sector": d.sector,
        "sector_pct": d.sector_pct,
        "reasons": list(d.reasons),
        "symbol": result.symbol,
        "side": result.order.side,
        "qty": result.qty,
        "price": result.price,
        "price_source": result.price_source,
        "current_qty": result.current_qty,
        "reducing": d.reducing,
        "order_value": d.order_value,
        "required_buying_power": d.required_buying_power,
        "daily_loss_pct": d.daily_loss_pct,
        "circuit_breaker": result.breaker.state,
        "circuit_breaker_tripped_now": result.breaker_tripped_now,
        "risk_level": result.risk_level,
        "account_id": result.account_id,
        "source": source_json(result.source),
    }


def _mark(ok: bool) -> str:
    return "[green]ok[/]" if ok else "[bold red]FAIL[/]"


def show(result: ValidationResult, json_: bool) -> None:
    if json_:
        print_json(as_json(result))
        return
    from rich.table import Table

    d = result.decision
    pct = "n/a" if d.position_pct is None else f"{d.position_pct:.2f} %"
    spct = "n/a" if d.sector_pct is None else f"{d.sector_pct:.2f} %"
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail")
    table.add_row("position limit", _mark(d.position_limit_ok), f"{pct} of equity")
    table.add_row("sector limit", _mark(d.sector_limit_ok), f"{d.sector}: {spct} of equity")
    table.add_row("daily loss", _mark(d.daily_loss_ok), f"P/L {-d.daily_loss_pct:+.2f} % today")
    table.add_row("circuit breaker", _mark(d.circuit_breaker_ok), result.breaker.state)
    table.add_row(
        "buying power", _mark(d.buying_power_ok), f"needs {money(d.required_buying_power)}"
    )
    console = stdout_console()
    verdict = "[bold green]APPROVED[/]" if d.approved else "[bold red]REJECTED[/]"
    reducing = "  (reduces the position)" if d.reducing else ""
    console.print(
        f"{verdict}  {result.order.side} {quantity(result.qty)} {result.symbol} "
        f"@ {money(result.price)} ({result.price_source}){reducing}",
        markup=True,
    )
    after = resulting_qty(result.current_qty, result.order.side, result.qty)
    console.print(
        f"position: {quantity(result.current_qty)} -> {quantity(after)}, "
        f"estimated value {money(d.estimated_position_value)}"
    )
    console.print(table)
    for reason in d.reasons:
        console.print(f"[red]- {reason}[/]", markup=True)

"""How a pre-trade validation looks: a checklist at a terminal, one record with --json."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pm.cli.terminal import Shown
from pm.cli.views.common import markup_escaped, money, quantity
from pm.cli.views.table import Col, FitTable
from pm.domain.orders import resulting_qty
from pm.domain.validation import BROKER_RULES
from pm.records import validate as records
from pm.services.validate import ValidationResult

if TYPE_CHECKING:
    from rich.console import RenderableType


def _mark(ok: bool) -> str:
    return "[green]ok[/]" if ok else "[bold red]FAIL[/]"


def _checks(result: ValidationResult) -> list[tuple[str, bool]]:
    d = result.decision
    return [
        ("position limit", d.position_limit_ok),
        ("sector limit", d.sector_limit_ok),
        ("daily loss", d.daily_loss_ok),
        ("circuit breaker", d.circuit_breaker_ok),
        ("buying power", d.buying_power_ok),
        ("broker rules", d.broker_rules_ok),
    ]


def rejection_line(result: ValidationResult) -> str:
    """The closing error line: which checks failed, the broker's rules by their reason codes
    (the report above says why)."""
    failed = [name for name, ok in _checks(result) if not ok and name != "broker rules"]
    failed += [code for code in result.decision.codes if code in BROKER_RULES]
    failed += [code for code in result.decision.codes if code == "wash_sale"]
    checks = "check" if len(failed) == 1 else "checks"
    return f"rejected: {len(failed)} {checks} failed ({', '.join(failed)})"


def validation(result: ValidationResult) -> Shown:
    return Shown(records.validation(result), lambda: _checklist(result))


def _checklist(result: ValidationResult) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    d = result.decision
    pct = "n/a" if d.position_pct is None else f"{d.position_pct:.2f} %"
    spct = "n/a" if d.sector_pct is None else f"{d.sector_pct:.2f} %"
    details = {
        "position limit": f"{pct} of equity",
        "sector limit": f"{markup_escaped(d.sector or '')}: {spct} of equity",
        "daily loss": f"P/L {-d.daily_loss_pct:+.2f} % today",
        "circuit breaker": result.breaker.state,
        "buying power": f"needs {money(d.required_buying_power)}",
        "broker rules": _broker_detail(result),
    }
    checks = FitTable(
        (Col("check"), Col("result"), Col("detail", wrap=True)),
        [(name, _mark(ok), details[name]) for name, ok in _checks(result)],
        box=False,
    )
    verdict = "[bold green]APPROVED[/]" if d.approved else "[bold red]REJECTED[/]"
    reducing = "  (reduces the position)" if d.reducing else ""
    after = resulting_qty(result.current_qty, result.order.side, result.qty)
    parts: list[RenderableType] = [
        Text.from_markup(
            f"{verdict}  {result.order.side} {quantity(result.qty)} {result.symbol} "
            f"@ {money(result.price)} ({result.price_source}){reducing}"
        ),
        Text(
            f"position: {quantity(result.current_qty)} -> {quantity(after)}, "
            f"estimated value {money(d.estimated_position_value)}"
        ),
        checks,
        *(Text(f"- {reason}", style="red") for reason in d.reasons),
        *(Text(f"note: {note.text}", style="yellow") for note in d.notes),
    ]
    return Group(*parts)


def _broker_detail(result: ValidationResult) -> str:
    """Account flags, available quantity, market hours: what the broker would say."""
    codes = [c for c in result.decision.codes if c in BROKER_RULES]
    if codes:
        return ", ".join(codes)
    parts = []
    takes = (result.current_qty > 0) == (result.order.side == "sell")
    if result.qty_available is not None and result.current_qty != 0 and takes:
        available, held = abs(result.qty_available), abs(result.current_qty)
        parts.append(f"{quantity(available)} of {quantity(held)} available")
    if result.market_open is not None:
        parts.append("market open" if result.market_open else "market closed: queued")
    return "; ".join(parts) if parts else "account can trade"

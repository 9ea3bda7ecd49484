"""How `pm exits` looks: the rules, each position's stop and next level, what fired."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pm.cli.terminal import Shown
from pm.cli.views.common import markup_escaped, money, percent, quantity, when
from pm.cli.views.table import Col, FitTable
from pm.domain.exits import ExitEvent, ExitRule, Level
from pm.records import exits as records
from pm.services.exits import ExitReport, PositionExit

RULES = (
    Col("Symbol"),
    Col("Take profit (gain:share)"),
    Col("Trail", right=True),
    Col("Activate at", 1, right=True),
    Col("Breakeven at", 1, right=True),
    Col("Native", 2),
)

STATUS = (
    Col("Symbol"),
    Col("Side", 2),
    Col("Qty", right=True),
    Col("Entry", right=True),
    Col("Price", right=True),
    Col("Gain", right=True),
    Col("HWM", 1, right=True),
    Col("Stop", right=True),
    Col("Distance", right=True),
    Col("Next level", 1),
    Col("Done", 2),
    Col("Rule", 3),
)

EVENTS = (
    Col("At"),
    Col("Symbol"),
    Col("Kind"),
    Col("What", wrap=True),
    Col("Position key", 2),
)

FIRES = (
    Col("Symbol"),
    Col("Level"),
    Col("Qty", right=True),
    Col("Status"),
    Col("Client order id", 2),
    Col("Reason", 1, wrap=True),
)


def _pct(value: Decimal | None) -> str:
    return percent(value.quantize(Decimal("0.01"))) if value is not None else ""


def _ladder(ladder: Sequence[Level]) -> str:
    return ", ".join(
        f"{lv.gain_pct.normalize():f}:{lv.share_pct.quantize(Decimal('0.01')).normalize():f}"
        for lv in ladder
    )


def rules(found: Sequence[tuple[ExitRule, tuple[Level, ...]]]) -> Shown:
    def table() -> FitTable:
        return FitTable(
            RULES,
            [
                (
                    r.symbol,
                    (_ladder(ladder) or "none") + (" (policy)" if r.take_profit is None else ""),
                    f"{r.trail.trail_pct:f} %" if r.trail else "none",
                    f"{r.trail.activate_at_pct:f} %" if r.trail else "",
                    f"{r.trail.breakeven_at_pct:f} %" if r.trail else "",
                    "yes" if r.native else "",
                )
                for r, ladder in found
            ],
            notes=["* is the account's default; a symbol's rule overrides it"],
        )

    return Shown(
        [records.rule(r, ladder) for r, ladder in found],
        table,
        columns=records.RULE_COLUMNS,
        empty="no exit rules (pm exits set adds one)",
    )


def rule_set(r: ExitRule, ladder: tuple[Level, ...]) -> Shown:
    shown = rules([(r, ladder)])
    return Shown(records.rule(r, ladder), shown.human)


def _row(p: PositionExit) -> tuple[str, ...]:
    s = p.state
    tracked = s is not None and p.rule is not None
    nxt = p.next_level
    return (
        p.symbol,
        s.side if s is not None else "",
        quantity(p.position.qty),
        money(s.entry if s is not None else p.position.avg_entry_price),
        money(p.price),
        _pct(p.gain_pct) if tracked else "",
        money(s.hwm) if tracked and s is not None else "",
        money(s.stop) if tracked and s is not None and s.stop is not None else "",
        _pct(p.distance_pct) if tracked else "",
        _ladder([nxt]) if tracked and nxt is not None else "",
        ", ".join(e.name for e in s.executed) if tracked and s is not None else "",
        markup_escaped(p.rule.symbol) if p.rule else (p.skipped or ""),
    )


def status(report: ExitReport) -> Shown:
    def table() -> FitTable:
        return FitTable(
            STATUS,
            [_row(p) for p in report.positions],
            notes=[
                "gain over the average entry; distance: how far the price is above a long's "
                "stop (below a short's)"
            ],
        )

    return Shown(
        [records.status(p) for p in report.positions],
        table,
        columns=records.STATUS_COLUMNS,
        empty="no open positions",
    )


def check(report: ExitReport) -> Shown:
    fires = records.fires(report)

    def table() -> FitTable:
        return FitTable(
            FIRES,
            [
                (
                    f["symbol"],
                    f["level"],
                    quantity(f["qty"]),
                    f["status"] or ("would send" if not report.executed else ""),
                    f["client_order_id"] or "",
                    markup_escaped(f["reason"] + (f" ({f['error']})" if f["error"] else "")),
                )
                for f in fires
            ],
            notes=[
                "sent through the order path (origin exit)"
                if report.executed
                else "nothing sent: --execute --yes sends these"
            ],
        )

    if not fires:
        tracked = sum(1 for p in report.positions if p.skipped is None)
        return Shown(records.check(report), f"nothing to fire ({tracked} positions checked)")
    return Shown(records.check(report), table)


def events(found: Sequence[ExitEvent]) -> Shown:
    def table() -> FitTable:
        return FitTable(
            EVENTS,
            [(when(e.at), e.symbol, e.kind, markup_escaped(e.message), e.key) for e in found],
        )

    return Shown(
        [records.event(e) for e in found],
        table,
        columns=records.EVENT_COLUMNS,
        empty="no exit events (pm exits check and the watch job `exits` record them)",
    )

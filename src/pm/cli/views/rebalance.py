"""How a rebalance plan looks: one row per intent, then the totals."""

from __future__ import annotations

from decimal import Decimal

from pm.cli.terminal import Shown
from pm.cli.views.common import money, quantity, source_line
from pm.cli.views.table import Col, FitTable
from pm.domain.rebalance import Intent
from pm.domain.tax_plan import PlanTax
from pm.records import rebalance as records
from pm.services.rebalance import CheckedPlan, RebalancePlan

SHORT_REASONS = {
    "overweight_trim": "trim",
    "underweight_add": "add",
    "exit_not_in_targets": "exit",
    "capped_by_position_limit": "pos cap",
    "capped_by_sector_limit": "sector cap",
    "cash_limited": "cash",
    "rounded_whole_shares": "whole",
}

COLUMNS = (
    Col("#", 5, right=True),
    Col("Symbol"),
    Col("Side"),
    Col("Now %", 3, right=True),
    Col("Target %", 2, right=True),
    Col("Drift", 4, right=True),
    Col("Qty", right=True),
    Col("Est. value", right=True),
    Col("Reason", 1, short=lambda r: SHORT_REASONS.get(r, r)),
)


def _pct(value: Decimal) -> str:
    return f"{value:.2f}"


def _row(i: Intent) -> tuple[str, ...]:
    """One intent as a table row, the same in a fresh plan and a checked one."""
    return (
        str(i.seq),
        i.symbol,
        i.side,
        _pct(i.current_pct),
        _pct(i.target_pct),
        f"{i.current_pct - i.target_pct:+.2f}",
        quantity(i.qty),
        money(i.est_value),
        i.reason,
    )


def _value(intents: tuple[Intent, ...]) -> Decimal:
    """The estimated value of these intents together."""
    return sum((i.est_value for i in intents), Decimal(0))


def plan(p: RebalancePlan) -> Shown:
    return Shown(
        records.plan(p),
        lambda: _table(p),
        warnings=p.warnings,
    )


def _table(p: RebalancePlan) -> FitTable:
    result = p.plan
    rows = [_row(i) for i in result.intents]
    columns: tuple[Col, ...] = COLUMNS
    shown: list[tuple[str, ...]] = list(rows)
    if p.tax is not None:  # `--tax-aware`: each intent's estimated realized gain or wash sale
        columns = (*COLUMNS, Col("Est. gain", right=True))
        shown = [(*r, _tax_cell(p.tax, i.seq)) for r, i in zip(rows, result.intents, strict=True)]
    sold, bought = _value(result.sells), _value(result.buys)
    notes = [
        f"policy {p.policy.name} ({p.trigger}): {len(result.sells)} sells {money(sold)}, "
        f"{len(result.buys)} buys {money(bought)}, turnover {money(result.turnover)}",
        f"cash {money(result.cash_before)} -> {money(result.cash_after)} "
        f"(buffer {money(result.cash_buffer)}, minimum trade {money(result.min_trade)})",
        f"drift {_pct(result.drift_before_pct)} % -> {_pct(result.drift_after_pct)} % (est.)",
        source_line(p.source),
    ]
    if p.tax is not None:
        t = p.tax
        notes.insert(
            3,
            f"est. realized gain {t.total:+,.2f} (short term {t.short_term:+,.2f}, long term "
            f"{t.long_term:+,.2f}; the plain plan's short term {t.plain_short_term_gain:+,.2f})"
            + ("" if t.complete else " for the part the ledger accounts for"),
        )
    if not rows:
        notes.insert(0, "nothing to trade: the account is within its targets")
    return FitTable(columns, shown, notes=notes)


def _tax_cell(tax: PlanTax, seq: int) -> str:
    it = tax.of(seq)
    if it is None:
        return ""
    if it.estimate is not None:
        return money(it.estimate.total, signed=True)
    return "wash sale" if it.wash_sale is not None else ""


def checked(c: CheckedPlan) -> Shown:
    return Shown(
        records.checked(c),
        lambda: _checked_table(c),
        note="dry run: the plan passed every check; nothing was sent",
        warnings=c.warnings,
    )


def _checked_table(c: CheckedPlan) -> FitTable:
    rows = [_row(i) for i in c.intents]
    sold, bought = _value(c.sells), _value(c.buys)
    name = c.document.policy_name or "(unnamed)"
    notes = [
        f"plan {c.document.plan_id or '(no id)'} of policy {name}: {len(c.sells)} sells "
        f"{money(sold)}, {len(c.buys)} buys {money(bought)} at live prices",
        f"cash {money(c.account.cash)} -> {money(c.account.cash + sold - bought)} "
        f"(buffer {money(c.cash_buffer)})",
        source_line(c.source),
    ]
    return FitTable(COLUMNS, rows, notes=notes)

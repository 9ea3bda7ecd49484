"""How tax lots and harvests look: a table each; a harvest's orders as a table of legs."""

from __future__ import annotations

from decimal import Decimal

from pm.cli.terminal import Shown
from pm.cli.views.common import money, quantity, source_line, when
from pm.cli.views.table import Col, FitTable, time_col
from pm.cli.views.trades import coverage
from pm.records import tax as records
from pm.services.tax import HarvestDone, HarvestPlan, TaxLots

LOT_TABLE = (
    Col("Symbol"),
    Col("Side", 3),
    Col("Qty", right=True),
    Col("Open", 2, right=True),
    Col("Cost", 1, right=True),
    Col("Price", 2, right=True),
    Col("Unrealized", right=True),
    time_col("Opened", 4),
    Col("Days", 3, right=True),
    Col("Term"),
    Col("Long term from", 1),
)


def lots(result: TaxLots, *, filtered: bool = False) -> Shown:
    """`filtered`: --symbol narrowed the list."""
    return Shown(
        [records.lot(t) for t in result.lots],
        lambda: _lots_table(result),
        columns=records.LOT_COLUMNS,
        empty="no open lots match --symbol"
        if filtered
        else "no open lots (no fills stored: run pm trades sync)",
    )


def _lots_table(result: TaxLots) -> FitTable:
    rows = []
    for t in result.lots:
        gain = t.unrealized_gain
        starts = t.long_term_from
        rows.append(
            (
                t.lot.symbol,
                t.lot.side,
                quantity(t.lot.qty),
                money(t.lot.price),
                money(t.cost),
                money(t.price) if t.price is not None else "",
                money(gain, signed=True) if gain is not None else "no price",
                when(t.lot.opened_at),
                str(t.holding_days),
                t.term,
                "" if starts is None else starts.isoformat(),
            )
        )
    known = [t.unrealized_gain for t in result.lots if t.unrealized_gain is not None]
    total = sum((g for g in known), Decimal(0))
    notes = [
        f"unrealized gain of the lots shown: {total:,.2f} (as of {result.today.isoformat()})",
        coverage(result.state),
        source_line(result.source),
    ]
    return FitTable(LOT_TABLE, rows, notes=notes)


HARVEST_TABLE = (
    Col("Symbol"),
    Col("Qty", right=True),
    Col("Lots", 3, right=True),
    Col("Cost", 2, right=True),
    Col("Proceeds", 2, right=True),
    Col("Est. loss", right=True),
    Col("Short term", 4, right=True),
    Col("Long term", 4, right=True),
    Col("Buy again from", 1),
    Col("Status"),
)


def harvest(plan: HarvestPlan) -> Shown:
    return Shown(
        [records.candidate(c) for c in plan.candidates],
        lambda: _harvest_table(plan),
        columns=records.HARVEST_COLUMNS,
        empty=f"no lots with an unrealized loss of at least {plan.min_loss:,.2f} to harvest",
    )


def _harvest_table(plan: HarvestPlan) -> FitTable:
    rows = []
    for c in plan.candidates:
        h = c.harvest
        rows.append(
            (
                h.symbol,
                quantity(h.qty),
                str(len(h.lots)),
                money(h.cost),
                money(h.proceeds),
                money(h.estimate.total, signed=True),
                money(h.estimate.short_term, signed=True),
                money(h.estimate.long_term, signed=True),
                h.buy_again_from.isoformat(),
                "ready" if c.executable else f"blocked: {c.blocked}",
            )
        )
    notes = [
        f"{len(plan.executable)} of {len(plan.candidates)} harvestable, est. realized "
        f"{plan.est_realized_pl:,.2f}; a buy of the symbol within 30 days after the sale "
        "disallows the loss (buy again from the date shown)",
        coverage(plan.state),
        source_line(plan.source),
    ]
    return FitTable(HARVEST_TABLE, rows, notes=notes)


def plan_line(plan: HarvestPlan) -> str:
    """What `--execute` will do, said before it asks."""
    parts = ", ".join(
        f"{quantity(c.harvest.qty)} {c.harvest.symbol} (est. {c.harvest.estimate.total:,.2f})"
        for c in plan.executable
    )
    return (
        f"Will sell {parts} in account {plan.account_id} to realize about "
        f"{plan.est_realized_pl:,.2f}."
    )


DONE_TABLE = (
    Col("Symbol"),
    Col("Qty", right=True),
    Col("Status"),
    Col("Est. realized", right=True),
    Col("Client order id", 2),
)


def done(result: HarvestDone) -> Shown:
    return Shown(records.harvest_done(result), lambda: _done_table(result))


def _done_table(result: HarvestDone) -> FitTable:
    data = records.harvest_done(result)
    rows = [
        (
            str(o["symbol"]),
            quantity(o["qty"]),
            str(o["status"]) + (f" ({o['error']})" if o.get("error") else ""),
            "" if o["est_realized_pl"] is None else f"{o['est_realized_pl']:,.2f}",
            str(o["client_order_id"]),
        )
        for o in data["orders"]
    ]
    notes = [f"skipped {s['symbol']}: {s['why']}" for s in data["skipped"]]
    if result.audit_id is not None:
        notes.append(f"audit #{result.audit_id}")
    else:
        notes.insert(0, "nothing was sent")
    notes.append(source_line(result.source))
    return FitTable(DONE_TABLE, rows, notes=notes)

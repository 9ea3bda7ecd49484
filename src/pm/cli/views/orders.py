"""How `pm orders` looks: pm's orders, or the broker's, in a table that fits the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pm.cli.terminal import Shown
from pm.cli.views.common import money, quantity, when
from pm.cli.views.table import Col, FitTable, time_col
from pm.domain.models import Order
from pm.domain.pm_orders import PmOrder
from pm.records import orders as records
from pm.services.order_admin import Cancelled

COLUMNS = (
    Col("ID", right=True),
    time_col("Created", 1),
    Col("Origin", 2),
    Col("Symbol"),
    Col("Side"),
    Col("Qty", right=True),
    Col("Status"),
    Col("Filled", right=True),
    Col("Avg price", 1, right=True),
    Col("Audit", 2, right=True),
    Col("Client order id", 3),
)

BROKER = (
    time_col("Submitted", 1),
    Col("Symbol"),
    Col("Side"),
    Col("Type", 2),
    Col("Qty", right=True),
    Col("Status"),
    Col("Filled", right=True),
    Col("pm", 2),
    Col("Order id", 1),
)


def _amount(qty: Decimal | None, notional: Decimal | None) -> str:
    if qty is not None:
        return quantity(qty)
    return f"${money(notional)}" if notional is not None else ""


def stored(rows: Sequence[PmOrder], *, status: str) -> Shown:
    def table() -> FitTable:
        return FitTable(
            COLUMNS,
            [
                (
                    str(o.id),
                    when(o.created_at),
                    o.origin,
                    o.symbol,
                    o.side,
                    _amount(o.qty, o.notional),
                    o.status,
                    quantity(o.filled_qty),
                    money(o.filled_avg_price) if o.filled_avg_price is not None else "",
                    f"#{o.audit_id}" if o.audit_id is not None else "",
                    o.client_order_id,
                )
                for o in rows
            ],
            notes=["pm's orders, newest first (--broker for the broker's own list)"],
        )

    return Shown(
        [records.order(o) for o in rows],
        table,
        columns=records.COLUMNS,
        empty="no open orders of pm's" if status == "open" else "pm has sent no orders",
    )


def at_broker(rows: Sequence[Order], *, status: str) -> Shown:
    def table() -> FitTable:
        return FitTable(
            BROKER,
            [
                (
                    when(o.submitted_at),
                    o.symbol,
                    o.side,
                    o.type,
                    _amount(o.qty, o.notional),
                    o.status,
                    quantity(o.filled_qty),
                    "yes" if o.client_order_id.startswith("pm-") else "",
                    o.id,
                )
                for o in rows
            ],
            notes=["the broker's orders, newest first"],
        )

    return Shown(
        [records.broker_order(o) for o in rows],
        table,
        columns=records.BROKER_COLUMNS,
        empty="no open orders at the broker" if status == "open" else "no orders at the broker",
    )


def cancelled(done: Cancelled) -> Shown:
    line = (
        f"cancelled {sum(1 for r in done.results if r.ok)} of {len(done.results)} orders "
        f"(audit #{done.audit_id})"
    )
    return Shown(records.cancelled(done), line)

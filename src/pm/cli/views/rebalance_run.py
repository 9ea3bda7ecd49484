"""How a rebalance run looks: its orders, then the outcome; a list of runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from pm.cli.terminal import Shown
from pm.cli.views.common import money, quantity
from pm.cli.views.table import Col, FitTable
from pm.domain.pm_orders import PmOrder
from pm.domain.rebalance_runs import RebalanceRun
from pm.records import rebalance_run as records

ORDER_COLUMNS = (
    Col("#", 5, right=True),
    Col("Symbol"),
    Col("Side"),
    Col("Qty", right=True),
    Col("Status", 1),
    Col("Filled", right=True),
    Col("Avg price", 2, right=True),
    Col("Client order id", 3),
)
LIST_COLUMNS = (
    Col("Run", right=True),
    Col("Status"),
    Col("Trigger", 2),
    Col("Policy", 3),
    Col("Started", 1),
    Col("Intents", 4, right=True),
    Col("Filled", 4, right=True),
    Col("Skipped", 4, right=True),
    Col("Drift", 2),
)


def _pct(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, Decimal) else "?"


def run(r: RebalanceRun, orders: Sequence[PmOrder], *, note: str | None = None) -> Shown:
    record = records.run(r, orders)
    return Shown(record, lambda: _table(r, orders, record), note=note)


def _table(r: RebalanceRun, orders: Sequence[PmOrder], record: dict[str, object]) -> FitTable:
    rows = [
        (
            str(o["seq"]),
            str(o["symbol"]),
            str(o["side"]),
            quantity(o["qty"]) if o["qty"] is not None else money(o["notional"]),
            str(o["status"]),
            quantity(o["filled_qty"]),
            money(o["filled_avg_price"]) if o["filled_avg_price"] is not None else "",
            str(o["client_order_id"]),
        )
        for o in record["orders"]  # type: ignore[attr-defined]
    ]
    before, after = _pct(record["drift_before_pct"]), _pct(record["drift_after_pct"])
    notes = [
        f"run {r.id} ({r.trigger_type}, policy {record['policy']}): {r.status}; "
        f"{len(r.order_intents)} intents, {len(orders)} orders",
        f"drift {before} % -> {after} %",
        f"trace {r.trace_id}",
    ]
    if r.rationale:
        notes.append(r.rationale)
    if not rows:
        notes.insert(0, "no orders were placed")
    return FitTable(ORDER_COLUMNS, rows, notes=notes)


def listing(runs: Sequence[RebalanceRun]) -> Shown:
    data = [records.listed(r) for r in runs]
    return Shown(
        data,
        lambda: _list_table(runs, data),
        columns=records.LIST_COLUMNS,
        empty="no rebalance runs",
    )


def _list_table(runs: Sequence[RebalanceRun], data: list[dict[str, object]]) -> FitTable:
    rows = [
        (
            str(d["run_id"]),
            str(d["status"]),
            str(d["trigger"]),
            str(d["policy"] or ""),
            str(d["started_at"])[:19],
            str(d["intents"]),
            "" if d["orders_filled"] is None else str(d["orders_filled"]),
            "" if d["skipped"] is None else str(d["skipped"]),
            f"{_pct(d['drift_before_pct'])} -> {_pct(d['drift_after_pct'])}",
        )
        for d in data
    ]
    triggers = Counter(r.trigger_type for r in runs)
    ended = [r for r in runs if r.status in ("completed", "failed")]
    ok = sum(1 for r in ended if r.status == "completed")
    rate = f"{ok}/{len(ended)} completed" if ended else "none ended"
    notes = [
        "triggers: " + ", ".join(f"{k} {v}" for k, v in sorted(triggers.items())) + f"; {rate}"
    ]
    return FitTable(LIST_COLUMNS, rows, notes=notes)

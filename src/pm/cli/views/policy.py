"""How allocation policies look: a table of policies, or one policy with its targets."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from pm.cli.output import cell
from pm.cli.terminal import Shown
from pm.cli.views.common import markup_escaped, quantity
from pm.cli.views.table import Col, FitTable
from pm.domain.policy import Policy
from pm.records import policy as records

if TYPE_CHECKING:
    from rich.console import RenderableType

COLUMNS = (
    Col("Name"),
    Col("Active", 1),
    Col("Max pos %", 2, right=True),
    Col("Max sector %", 3, right=True),
    Col("Frequency", 4),
    Col("Targets", right=True),
    Col("Cash %", 5, right=True),
    Col("Description", 6, wrap=True),
)


def _pct(value: Decimal | None) -> str:
    return "" if value is None else quantity(value)


def policies(rows: list[Policy]) -> Shown:
    return Shown(
        [records.summary(p) for p in rows],
        lambda: _table(rows),
        columns=records.COLUMNS,
        empty="no policies yet (create one with pm policy create NAME)",
    )


def _table(rows: list[Policy]) -> FitTable:
    return FitTable(
        COLUMNS,
        [
            (
                markup_escaped(p.name),
                "[bold green]active[/]" if p.is_active else "",
                _pct(p.spec.max_position_weight_pct),
                _pct(p.spec.max_sector_weight_pct),
                p.spec.rebalance_frequency,
                str(len(p.spec.targets)) if p.spec.targets else "equal",
                _pct(p.spec.cash_weight_pct),
                markup_escaped(p.spec.description or ""),
            )
            for p in rows
        ],
    )


def policy(p: Policy, *, note: str | None = None) -> Shown:
    return Shown(records.policy(p), lambda: _detail(p), note=note)


def _detail(p: Policy) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    record = records.summary(p)
    del record["targets_count"]
    lines = "\n".join(f"{k:<28} {cell(v)}" for k, v in record.items())
    parts: list[RenderableType] = [Text(lines)]
    if p.spec.targets:
        cash = p.spec.cash_weight_pct or Decimal(0)
        rows = [(t.symbol, quantity(t.weight_pct)) for t in p.spec.targets]
        rows.append(("cash", quantity(cash)))
        parts.append(FitTable((Col("Target"), Col("Weight %", right=True)), rows))
    else:
        parts.append(
            Text(
                f"no explicit targets: equal weight over the top {p.spec.rotation_top_n} "
                "holdings by market value, each capped, the rest cash"
            )
        )
    return Group(*parts)

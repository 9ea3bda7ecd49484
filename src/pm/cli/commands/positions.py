"""`pm positions` and `pm positions show SYMBOL`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt

app = typer.Typer(no_args_is_help=False)


class SortField(StrEnum):
    symbol = "symbol"
    qty = "qty"
    market_value = "market_value"
    cost_basis = "cost_basis"
    unrealized_pl = "unrealized_pl"
    unrealized_pl_pct = "unrealized_pl_pct"


@app.callback(invoke_without_command=True)
def positions(
    ctx: typer.Context,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
    sort: Annotated[SortField, typer.Option("--sort", help="Sort by this field.")] = (
        SortField.symbol
    ),
    desc: Annotated[bool, typer.Option("--desc", help="Sort descending.")] = False,
) -> None:
    """List open positions with P/L, live from the broker; then sync them into the book."""
    if ctx.invoked_subcommand is not None:
        return
    from pm.cli.views import positions as view
    from pm.services import positions as service

    app_ = ctx.obj
    result = service.fetch(
        app_.broker(), app_.repo, app_.clock, app_.writes, sort=sort.value, descending=desc
    )
    app_.terminal.show(view.positions(result))


@app.command("show")
def show(ctx: typer.Context, symbol: str, json_: JsonOpt = False) -> None:
    """Show one live position (exit 4 if the account does not hold it)."""
    from pm.cli.views import positions as view
    from pm.services import positions as service

    app_ = ctx.obj
    result = service.show(app_.broker(), app_.account_id(), app_.clock, symbol)
    app_.terminal.show(view.position(result))

"""`pm validate SYMBOL --side buy|sell --qty N | --notional USD [--price P]`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from pm.cli.options import JsonOpt, decimal_arg


class Side(StrEnum):
    buy = "buy"
    sell = "sell"


def validate(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="The symbol to trade.")],
    side: Annotated[Side, typer.Option("--side", help="buy or sell.")],
    qty: Annotated[str | None, typer.Option("--qty", help="Quantity (shares/coins).")] = None,
    notional: Annotated[str | None, typer.Option("--notional", help="Amount in USD.")] = None,
    price: Annotated[str | None, typer.Option("--price", help="Price to assume.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Check an order against the limits, the daily loss, the breaker and buying power.

    Also against the broker's own rules (shares held for open orders, shorts, the account's
    flags, the pattern-day-trader rule, Alpaca's minimums), each rejection with a reason
    code. A market order while the market is closed is approved with a warning: Alpaca
    queues it. Exits 0 when approved, 1 when rejected. Nothing is sent to the broker.
    """
    from pm.cli.flags import speaking_flags
    from pm.cli.guard import build_guard
    from pm.cli.views import validate as view
    from pm.domain.errors import CheckFailed
    from pm.services import validate as service

    with speaking_flags():
        order = service.ProposedOrder(
            symbol,
            side.value,
            qty=decimal_arg(qty, "--qty"),
            notional=decimal_arg(notional, "--notional"),
            price=decimal_arg(price, "--price"),
        )
        result = service.validate(build_guard(ctx.obj), order)
    ctx.obj.terminal.show(view.validation(result))
    if not result.approved:
        raise CheckFailed(view.rejection_line(result))

"""`pm size SYMBOL`: a position size by fractional Kelly and the market regime."""

from __future__ import annotations

from typing import Annotated

import typer

from pm.cli.options import JsonOpt, decimal_arg


def size(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="The symbol to size.")],
    win_rate: Annotated[
        str | None, typer.Option("--win-rate", help="Share of winning trades, 0 to 1.")
    ] = None,
    avg_win: Annotated[
        str | None, typer.Option("--avg-win", help="Average win (a positive amount).")
    ] = None,
    avg_loss: Annotated[
        str | None, typer.Option("--avg-loss", help="Average loss (a positive amount).")
    ] = None,
    fraction: Annotated[
        str | None, typer.Option("--fraction", help="Share of full Kelly [PM_KELLY_FRACTION].")
    ] = None,
    all_trades: Annotated[
        bool,
        typer.Option("--all-trades", help="Use every closed trade of the account, not SYMBOL's."),
    ] = False,
    price: Annotated[str | None, typer.Option("--price", help="Price to assume.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Kelly x fraction x regime multiplier, capped by the position limit and buying power.

    Without --win-rate/--avg-win/--avg-loss the ledger's closed trades are used. The suggested
    buy is checked by the pre-trade gate and the verdict shown; nothing is sent.
    """
    from pm.cli.flags import speaking_flags
    from pm.cli.guard import build_guard
    from pm.cli.ledger import local_sync
    from pm.cli.regime_job import current
    from pm.cli.views import size as view
    from pm.services import size as service

    app_ = ctx.obj
    settings = app_.settings
    with speaking_flags():
        symbol = service.checked_symbol(symbol)
        stats = service.given_stats(
            decimal_arg(win_rate, "--win-rate"),
            decimal_arg(avg_win, "--avg-win"),
            decimal_arg(avg_loss, "--avg-loss"),
            all_trades=all_trades,
        )
        if stats is None:
            local_sync(app_, app_.account_id())
        kelly_fraction = service.kelly_fraction(
            decimal_arg(fraction, "--fraction"), settings.pm_kelly_fraction
        )
        regime = current(app_)
        report = service.suggest(
            build_guard(app_),
            app_.repo().ledger,
            regime,
            symbol,
            given=stats,
            all_trades=all_trades,
            fraction=kelly_fraction,
            price=decimal_arg(price, "--price"),
        )
    app_.terminal.show(view.report(report))

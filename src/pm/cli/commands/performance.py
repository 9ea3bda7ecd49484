"""`pm performance`."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from pm.cli.options import CsvOpt, JsonOpt, parse_since
from pm.cli.performance_report import measure

if TYPE_CHECKING:
    from pm.cli.context import AppContext


def performance(
    ctx: typer.Context,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    since: Annotated[
        datetime | None,
        typer.Option(
            "--since",
            parser=parse_since,
            metavar="WHEN",
            help="Start of the window: a date (2026-01-01) or an age (30d); default a year.",
        ),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(
            "--until", parser=parse_since, metavar="WHEN", help="End of the window (default today)."
        ),
    ] = None,
    benchmark: Annotated[
        str | None,
        typer.Option("--benchmark", metavar="SYMBOL", help="Compare with this symbol (e.g. SPY)."),
    ] = None,
    chart: Annotated[
        bool,
        typer.Option("--chart", help="Draw the equity curve and the drawdown (a terminal only)."),
    ] = False,
) -> None:
    """Time- and money-weighted return, risk ratios, drawdown and trade statistics.

    From the broker's daily portfolio history (stored snapshots when it cannot answer) and the
    ledger's fills; --csv prints the daily series.
    """
    from pm.cli.flags import speaking_flags
    from pm.cli.views import performance as view
    from pm.domain.errors import BadInput

    app_: AppContext = ctx.obj
    if chart and app_.terminal.format != "table":
        raise BadInput(
            f"--chart cannot go with --{app_.terminal.format}: it draws the table's curves; "
            "--csv alone prints the daily series"
        )
    if chart and not sys.stdout.isatty():
        raise BadInput(
            "--chart draws on a terminal only; use --csv for the daily series to plot elsewhere"
        )
    with speaking_flags():
        report = measure(
            app_,
            since=since.date() if since is not None else None,
            until=until.date() if until is not None else None,
            benchmark=benchmark,
        )
    if app_.terminal.format == "csv":
        app_.terminal.show(view.series(report))
        return
    app_.terminal.show(view.report(report))
    if chart:
        size = app_.terminal.out.size
        out = app_.terminal.out
        color = not out.no_color and out.color_system is not None
        text = view.chart(report, size.width, max(20, size.height - 4), color=color)
        sys.stdout.write(text + "\n")

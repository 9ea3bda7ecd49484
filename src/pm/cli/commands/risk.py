"""`pm risk`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from pm.cli.options import JsonOpt


class VarMethodOpt(StrEnum):
    historical = "historical"
    parametric = "parametric"
    flat = "flat"


def risk(
    ctx: typer.Context,
    json_: JsonOpt = False,
    var_method: Annotated[
        VarMethodOpt | None,
        typer.Option(
            "--var-method",
            help="historical (default when daily bars can be had), parametric, or flat "
            "(2 % / 3 % of equity).",
        ),
    ] = None,
) -> None:
    """Concentration, sector exposure, VaR/CVaR, drawdown and the risk level of the live book.

    Exits 1 when a limit is breached (for cron); alerts are stored in the database.
    """
    from pm.cli.views import risk as view
    from pm.domain.errors import CheckFailed
    from pm.services import risk as service

    app_ = ctx.obj
    report = service.assess_risk(
        app_.broker(),
        app_.repo,
        app_.market_data,
        app_.breaker_store,
        app_.clock,
        app_.writes,
        app_.settings.risk_limits,
        actor=app_.actor,
        var_method=var_method.value if var_method is not None else None,
    )
    app_.terminal.show(view.report(report))
    if report.assessment.breached:
        app_.finish()  # the breach alerts are stored before the non-zero exit
        raise CheckFailed(view.breach_line(report))

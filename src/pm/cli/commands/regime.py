"""`pm regime`: the market regime from FRED (VIX, yield spreads, unemployment)."""

from __future__ import annotations

import typer

from pm.cli.options import JsonOpt


def regime(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Bullish, bearish, sideways, volatile or unknown, and the position-size multiplier.

    Cached for PM_REGIME_TTL seconds. VIX above PM_EMERGENCY_VIX trips the circuit breaker.
    Without FRED_API_KEY the regime is unknown (exit 0).
    """
    from datetime import timedelta

    from pm.cli.views import regime as view
    from pm.services import regime as service

    app_ = ctx.obj
    settings = app_.settings
    source = app_.macro_source()
    report = service.assess(
        source,
        app_.repo().macro,
        app_.clock,
        ttl=timedelta(seconds=settings.pm_regime_ttl),
        emergency_limit=settings.pm_emergency_vix,
    )
    report = service.emergency(
        report, app_.breaker_store(), app_.clock, app_.account_id, actor=app_.actor
    )
    app_.terminal.show(view.report(report))

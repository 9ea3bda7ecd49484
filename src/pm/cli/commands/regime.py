"""`pm regime`: the market regime from FRED (VIX, yield spreads, unemployment)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from pm.cli.options import JsonOpt

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.services.regime import RegimeReport


def regime(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Bullish, bearish, sideways, volatile or unknown, and the position-size multiplier.

    Cached for PM_REGIME_TTL seconds. VIX above PM_EMERGENCY_VIX trips the circuit breaker.
    Without FRED_API_KEY the regime is unknown (exit 0).
    """
    from pm.cli.views import regime as view

    ctx.obj.terminal.show(view.report(assess(ctx.obj)))


def assess(app_: AppContext) -> RegimeReport:
    """The regime of `pm regime` (and of `pm mcp`'s get_regime): FRED or the cache, then the
    emergency stop (VIX above PM_EMERGENCY_VIX trips the circuit breaker)."""
    from datetime import timedelta

    from pm.services import regime as service

    settings = app_.settings
    report = service.assess(
        app_.macro_source(),
        app_.repo().macro,
        app_.clock,
        ttl=timedelta(seconds=settings.pm_regime_ttl),
        emergency_limit=settings.pm_emergency_vix,
    )
    return service.emergency(
        report, app_.breaker_store(), app_.clock, app_.account_id, actor=app_.actor
    )

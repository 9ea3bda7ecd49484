"""`pm regime`: the market regime from FRED (VIX, yield spreads, unemployment)."""

from __future__ import annotations

import typer

from pm.cli.options import JsonOpt


def regime(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Bullish, bearish, sideways, volatile or unknown, and the position-size multiplier.

    Cached for PM_REGIME_TTL seconds. VIX above PM_EMERGENCY_VIX trips the circuit breaker.
    Without FRED_API_KEY the regime is unknown (exit 0).
    """
    from pm.cli.regime_job import assess
    from pm.cli.views import regime as view

    ctx.obj.terminal.show(view.report(assess(ctx.obj)))

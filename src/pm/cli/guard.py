"""Builds the pre-trade validation `Guard` for a command."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.services.validate import Guard


def build_guard(app_: AppContext) -> Guard:
    """Validation for this command: limits from settings, the account's breaker, sectors."""
    from pm.services.sectors import SectorResolver
    from pm.services.validate import Guard

    stores = app_.risk_store()  # universe_fundamentals and the stored peak equity
    return Guard(
        broker=app_.broker(),
        breakers=app_.breaker_store(),
        sectors=SectorResolver(stores),
        limits=app_.settings.risk_limits,
        clock=app_.clock,
        actor=app_.actor,
        prices=app_.latest_prices(),
        peak_equity=stores.peak_equity,
    )

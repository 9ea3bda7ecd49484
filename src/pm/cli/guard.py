"""Builds the pre-trade validation `Guard` for a command."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.services.validate import Guard


def build_guard(app_: AppContext) -> Guard:
    """Validation for this command: limits from settings, the account's breaker, sectors."""
    from pm.cli.regime_job import regime_check
    from pm.services.sectors import SectorResolver
    from pm.services.validate import Guard

    repo = app_.repo()
    return Guard(
        broker=app_.broker(),
        breakers=app_.breaker_store(),
        sectors=SectorResolver(repo.risk),
        limits=app_.settings.risk_limits,
        clock=app_.clock,
        actor=app_.actor,
        prices=app_.latest_prices(),
        peak_equity=repo.snapshots.peak_equity,
        regime_check=regime_check(app_),
        ledger=repo.ledger,
    )

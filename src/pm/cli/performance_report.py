"""The report of `pm performance`, wired to a command's context (also `pm mcp`'s
get_performance)."""

from __future__ import annotations

from datetime import UTC, date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.services.performance import PerformanceReport


def measure(
    app_: AppContext, *, since: date | None, until: date | None, benchmark: str | None
) -> PerformanceReport:
    """The report of `pm performance` (and of `pm mcp`'s get_performance): the window (a year
    to today by default), the demo's ledger brought up to date, then the service."""
    from pm.cli.ledger import local_sync
    from pm.domain.errors import BadInput
    from pm.services import performance as service

    if benchmark is not None and not benchmark.strip():
        raise BadInput("`benchmark` needs a symbol (e.g. SPY); leave it out for none")
    today = app_.clock.now().astimezone(UTC).date()
    start, end = service.window(since, until if until is not None else today, today=today)
    account_id = app_.account_id()
    local_sync(app_, account_id)
    return service.performance(
        app_.broker(),
        app_.repo(),
        app_.market_data() if benchmark else None,
        account_id,
        start=start,
        end=end,
        risk_free_rate=app_.settings.pm_risk_free_rate,
        benchmark=benchmark.strip().upper() if benchmark is not None else None,
    )

"""The regime built from settings: for `pm regime` and `pm mcp`'s get_regime (`assess`), for
`pm size` (`current`), the `regime` job of `pm watch` and the regime check of validation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.services.regime import RegimeReport
    from pm.services.watch import Job


def current(app_: AppContext) -> RegimeReport:
    """The regime from FRED or the cache (PM_REGIME_TTL), without the emergency stop."""
    from pm.services import regime as service

    settings = app_.settings
    return service.assess(
        app_.macro_source(),
        app_.repo().macro,
        app_.clock,
        ttl=timedelta(seconds=settings.pm_regime_ttl),
        emergency_limit=settings.pm_emergency_vix,
    )


def assess(app_: AppContext) -> RegimeReport:
    """The regime of `pm regime` (and of `pm mcp`'s get_regime): FRED or the cache, then the
    emergency stop (VIX above PM_EMERGENCY_VIX trips the circuit breaker)."""
    from pm.services import regime as service

    return service.emergency(
        current(app_), app_.breaker_store(), app_.clock, app_.account_id, actor=app_.actor
    )


def build_regime_job(app_: AppContext) -> Job | None:
    """Every PM_REGIME_TTL seconds (at least a minute): refresh the regime and trip the breaker
    when VIX is above PM_EMERGENCY_VIX. None without a macro source (no FRED_API_KEY)."""
    from pm.services import regime as service
    from pm.services.watch import regime_job

    source = app_.macro_source()
    if source is None:
        return None
    settings = app_.settings
    ttl = timedelta(seconds=settings.pm_regime_ttl)
    cache, clock = app_.repo().macro, app_.clock

    def assess() -> service.RegimeReport:
        return service.assess(
            source, cache, clock, ttl=ttl, emergency_limit=settings.pm_emergency_vix
        )

    def trip(report: Any, account_id: str) -> Any:
        return service.emergency(
            report, app_.breaker_store(), clock, lambda: account_id, actor=app_.actor
        )

    return regime_job(assess, trip, interval=max(ttl, timedelta(minutes=1)))


def regime_check(app_: AppContext) -> Callable[[], str | None]:
    """For validation: the emergency reason from the cached VIX (never a request to FRED)."""
    from pm.services import regime as service

    settings = app_.settings
    source = app_.macro_source_name()

    def check() -> str | None:
        if source == "fred" and settings.fred_api_key is None:
            return None
        return service.cached_emergency(
            app_.repo().macro, source, app_.clock, limit=settings.pm_emergency_vix
        )

    return check

"""`pm regime`: the market regime from macro data, cached, and the emergency stop.

`assess` reads the cache (`MacroCache`) and asks the source (FRED or the demo) only when the
cached values are older than the TTL (``PM_REGIME_TTL``, 300 s). When the source is down or
refuses, the last cached values are used and marked stale with their age; without any, the
regime is unknown. No number is ever invented.

`emergency` trips the account's circuit breaker when VIX is above ``PM_EMERGENCY_VIX`` (35)
with the reason "automatic: VIX 36.20 > 35". `pm regime`, the `regime` job of `pm watch` and
pre-trade validation (through `cached_emergency`, which reads only the cache) call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from pm.domain.errors import BrokerRejected, PmError
from pm.domain.models import Actor
from pm.domain.regime import SERIES, MacroInputs, RegimeCall, classify, emergency_reason
from pm.ports import BreakerStore, CachedObservation, Clock, MacroCache, MacroSource
from pm.services import breaker as breakers

NO_KEY_HINT = (
    "set FRED_API_KEY (a free key from https://fred.stlouisfed.org/docs/api/api_key.html), "
    "or try `pm --demo regime`"
)
#: Validation trusts a cached VIX for this long (it never asks FRED itself).
VALIDATION_MAX_AGE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class RegimeReport:
    """The regime and everything it was decided from."""

    inputs: MacroInputs
    call: RegimeCall
    source: str  # "fred", "demo", or "none" without a key
    cached: bool  # every value came from the cache, no request made
    stale: bool  # some value is older than the TTL because the source failed
    fetched_at: datetime | None  # when the oldest value used was fetched
    age: timedelta | None  # now - fetched_at
    emergency_limit: Decimal
    emergency_reason: str | None  # "VIX 36.20 > 35" when the emergency stop applies
    breaker_tripped_now: bool = False
    breaker_error: str | None = None
    warnings: tuple[str, ...] = ()
    hint: str | None = None

    @property
    def emergency_stop(self) -> bool:
        return self.emergency_reason is not None


def _fresh(found: dict[str, CachedObservation], now: datetime, ttl: timedelta) -> bool:
    return bool(found) and all(now - c.fetched_at <= ttl for c in found.values())


def assess(
    source: MacroSource | None,
    cache: MacroCache,
    clock: Clock,
    *,
    ttl: timedelta,
    emergency_limit: Decimal,
) -> RegimeReport:
    """The regime now: from the cache when fresh, else from the source (then cached)."""
    if source is None:
        return RegimeReport(
            inputs=MacroInputs(),
            call=RegimeCall("unknown", "no data", ("no FRED_API_KEY",)),
            source="none",
            cached=False,
            stale=False,
            fetched_at=None,
            age=None,
            emergency_limit=emergency_limit,
            emergency_reason=None,
            hint=NO_KEY_HINT,
        )
    asked = clock.now()
    found = cache.latest(source.name, SERIES)
    cached = _fresh(found, asked, ttl)
    warnings: list[str] = []
    if not cached:
        warnings = _refresh(source, cache, clock)
        found = cache.latest(source.name, SERIES)
    now = clock.now()
    inputs = MacroInputs.from_latest({k: c.observation for k, c in found.items()})
    oldest = min((c.fetched_at for c in found.values()), default=None)
    age = now - oldest if oldest is not None else None
    # Stale: a value the refresh could not renew, past the TTL. One fetched during this call
    # is not, however long the paced requests took.
    stale = not cached and any(
        c.fetched_at < asked and now - c.fetched_at > ttl for c in found.values()
    )
    if stale and age is not None:
        warnings.append(f"using cached values fetched {_ago(age)} ago (stale)")
    if not found and warnings:
        warnings.append("no cached values either: the regime is unknown")
    return RegimeReport(
        inputs=inputs,
        call=classify(inputs),
        source=source.name,
        cached=cached,
        stale=stale,
        fetched_at=oldest,
        age=age,
        emergency_limit=emergency_limit,
        emergency_reason=emergency_reason(inputs, emergency_limit),
        warnings=tuple(warnings),
    )


def _refresh(source: MacroSource, cache: MacroCache, clock: Clock) -> list[str]:
    """Ask the source for every series and cache what came back; the problems as warnings.

    A refused series (unknown to the source) does not stop the others; an outage or a refused
    key does (the next request would fail the same way)."""
    warnings: list[str] = []
    for series_id in SERIES:
        try:
            observations = source.observations(series_id)
        except BrokerRejected as error:
            warnings.append(f"{series_id}: {error.message}")
            continue
        except PmError as error:
            warnings.append(error.message)
            break
        cache.save(source.name, observations, clock.now())
    return warnings


def _ago(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def emergency(
    report: RegimeReport,
    store: BreakerStore,
    clock: Clock,
    account_id: Callable[[], str],
    *,
    actor: Actor,
) -> RegimeReport:
    """Trip the breaker when the report calls for the emergency stop (an account already
    HALTED stays as it was tripped first). A missing account is said, not raised."""
    if report.emergency_reason is None:
        return report
    try:
        tripped = trip(store, clock, account_id(), report.emergency_reason, actor=actor)
    except PmError as error:
        return replace(report, breaker_error=f"could not trip the breaker: {error.message}")
    return replace(report, breaker_tripped_now=tripped)


def trip(store: BreakerStore, clock: Clock, account_id: str, reason: str, *, actor: Actor) -> bool:
    """HALT with "automatic: <reason>" unless already HALTED; whether this call tripped it."""
    if breakers.status(store, account_id).halted:
        return False
    after = store.trip(account_id, f"automatic: {reason}", str(actor), clock.now())
    return after.halted


def cached_emergency(
    cache: MacroCache,
    source: str,
    clock: Clock,
    *,
    limit: Decimal,
    max_age: timedelta = VALIDATION_MAX_AGE,
) -> str | None:
    """For validation: "VIX 36.20 > 35" when the cached VIX (fetched within `max_age`) is
    above the limit; never asks the source."""
    found = cache.latest(source, SERIES[:1])
    hit = found.get(SERIES[0])
    if hit is None or clock.now() - hit.fetched_at > max_age:
        return None
    return emergency_reason(MacroInputs(vix=hit.observation), limit)

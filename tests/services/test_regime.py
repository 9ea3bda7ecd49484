"""`services.regime` with the real FRED client against a fake FRED and a real SQLite cache."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pm.broker.fred.client import FredClient, FredPolicy, RateLimiter
from pm.db.engine import open_database
from pm.db.repository import SqlRepository
from pm.domain.models import Actor
from pm.domain.regime import Observation
from pm.services import regime as service
from tests.support.clocks import T0, FakeClock
from tests.support.fake_fred import FakeFred

TTL = timedelta(seconds=300)
LIMIT = Decimal(35)
ACTOR = Actor(user="tester", host="here")
POLICY = FredPolicy(timeout_s=2, connect_timeout_s=1, deadline_s=5, backoff_base_s=0.01)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[SqlRepository]:
    with open_database(f"sqlite:///{tmp_path / 'pm.db'}") as db:
        yield db.repository()


@pytest.fixture
def fred() -> Iterator[FakeFred]:
    with FakeFred() as server:
        yield server


def source(fred: FakeFred) -> FredClient:
    return FredClient(fred.key, base_url=fred.base_url, policy=POLICY, limiter=RateLimiter(0))


def assess(fred: FakeFred, repo: SqlRepository, clock: FakeClock) -> service.RegimeReport:
    return service.assess(source(fred), repo.macro, clock, ttl=TTL, emergency_limit=LIMIT)


def test_fetches_classifies_and_caches(fred: FakeFred, repo: SqlRepository) -> None:
    clock = FakeClock(T0)
    report = assess(fred, repo, clock)
    assert fred.count() == 4  # one request per series
    assert report.call.regime == "bullish"  # VIX 12.77, 10y-2y 0.05 in the reference
    assert report.call.multiplier == Decimal("1.25")
    assert report.inputs.vix == Observation("VIXCLS", date(2024, 12, 6), Decimal("12.77"))
    assert report.inputs.unemployment is not None
    assert report.inputs.unemployment.value == Decimal("4.2")
    assert (report.cached, report.stale, report.emergency_stop) == (False, False, False)


def test_a_cache_hit_makes_no_request(fred: FakeFred, repo: SqlRepository) -> None:
    clock = FakeClock(T0)
    assess(fred, repo, clock)
    clock.advance(TTL - timedelta(seconds=1))
    again = assess(fred, repo, clock)
    assert fred.count() == 4
    assert again.cached
    assert not again.stale
    assert again.call.regime == "bullish"
    clock.advance(timedelta(seconds=2))  # past the TTL: asked again
    assess(fred, repo, clock)
    assert fred.count() == 8


def test_fred_down_uses_the_cache_marked_stale_with_its_age(
    fred: FakeFred, repo: SqlRepository
) -> None:
    clock = FakeClock(T0)
    assess(fred, repo, clock)
    clock.advance(timedelta(hours=2))
    fred.fail_with(503)
    report = assess(fred, repo, clock)
    assert report.stale
    assert not report.cached
    assert report.age == timedelta(hours=2)
    assert report.call.regime == "bullish"  # the last known values, never invented ones
    assert any("503" in w for w in report.warnings)
    assert any("stale" in w for w in report.warnings)


def test_fred_down_without_a_cache_is_unknown(fred: FakeFred, repo: SqlRepository) -> None:
    fred.fail_with(500)
    report = assess(fred, repo, FakeClock(T0))
    assert report.call.regime == "unknown"
    assert report.call.multiplier == Decimal("1.0")
    assert report.inputs.vix is None
    assert report.fetched_at is None
    assert fred.count() == POLICY.max_attempts  # the outage stops the other series


def test_a_refused_key_is_a_warning_not_an_error(repo: SqlRepository) -> None:
    with FakeFred(key="the-right-one") as fred:
        client = FredClient("wrong", base_url=fred.base_url, policy=POLICY, limiter=RateLimiter(0))
        report = service.assess(client, repo.macro, FakeClock(T0), ttl=TTL, emergency_limit=LIMIT)
    assert report.call.regime == "unknown"
    assert any("not registered" in w for w in report.warnings)


def test_an_unknown_series_does_not_stop_the_others(fred: FakeFred, repo: SqlRepository) -> None:
    del fred.series["T10Y2Y"]
    report = assess(fred, repo, FakeClock(T0))
    assert fred.count() == 4
    assert report.inputs.spread_10y2y is None
    assert report.inputs.spread_10y3m is not None  # stands in for the missing spread
    assert report.call.regime == "bullish"


def test_no_key_is_unknown_with_a_hint(repo: SqlRepository) -> None:
    report = service.assess(None, repo.macro, FakeClock(T0), ttl=TTL, emergency_limit=LIMIT)
    assert report.call.regime == "unknown"
    assert report.hint
    assert "FRED_API_KEY" in report.hint


def test_vix_above_the_limit_trips_the_breaker_once(fred: FakeFred, repo: SqlRepository) -> None:
    fred.series["VIXCLS"] = [("2024-12-05", "30.00"), ("2024-12-06", "36.20")]
    clock = FakeClock(T0)
    report = assess(fred, repo, clock)
    assert report.call.regime == "volatile"
    assert report.emergency_reason == "VIX 36.20 > 35"
    tripped = service.emergency(report, repo.breakers, clock, lambda: "acct-1", actor=ACTOR)
    assert tripped.breaker_tripped_now
    state = repo.breakers.get("acct-1")
    assert state is not None
    assert state.halted
    assert state.reason == "automatic: VIX 36.20 > 35"
    again = service.emergency(report, repo.breakers, clock, lambda: "acct-1", actor=ACTOR)
    assert not again.breaker_tripped_now  # already HALTED: the first trip stays


def test_no_trip_at_the_limit(fred: FakeFred, repo: SqlRepository) -> None:
    fred.series["VIXCLS"] = [("2024-12-06", "35.00")]
    clock = FakeClock(T0)
    report = service.emergency(
        assess(fred, repo, clock), repo.breakers, clock, lambda: "acct-1", actor=ACTOR
    )
    assert not report.emergency_stop
    assert not report.breaker_tripped_now
    assert repo.breakers.get("acct-1") is None


def test_validation_reads_only_a_recent_cache(repo: SqlRepository) -> None:
    clock = FakeClock(T0)
    assert service.cached_emergency(repo.macro, "fred", clock, limit=LIMIT) is None
    repo.macro.save("fred", [Observation("VIXCLS", date(2024, 12, 6), Decimal("40"))], T0)
    assert service.cached_emergency(repo.macro, "fred", clock, limit=LIMIT) == "VIX 40.00 > 35"
    clock.advance(timedelta(days=2))
    assert service.cached_emergency(repo.macro, "fred", clock, limit=LIMIT) is None


def test_values_fetched_in_this_call_are_not_stale(fred: FakeFred, repo: SqlRepository) -> None:
    """At one request a second, the first series is seconds old when the last arrives: with a
    short TTL that is no reason to call a successful fetch stale."""
    clock = FakeClock(T0, step=timedelta(seconds=1))
    report = service.assess(
        source(fred), repo.macro, clock, ttl=timedelta(seconds=2), emergency_limit=LIMIT
    )
    assert fred.count() == 4
    assert not report.stale
    assert not any("stale" in w for w in report.warnings)

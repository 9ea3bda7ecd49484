"""The FRED client against a local fake FRED: parsing, errors, retries, the rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from pm.broker.fred.client import FredClient, FredPolicy, RateLimiter, parse_observations
from pm.domain.errors import BrokerRejected, BrokerUnavailable, CredentialsError
from tests.support.fake_fred import FakeFred, reference

NO_WAIT = RateLimiter(0.0)
FAST = FredPolicy(timeout_s=2, connect_timeout_s=1, deadline_s=5, backoff_base_s=0.01)


@pytest.fixture
def fred() -> Iterator[FakeFred]:
    with FakeFred() as server:
        yield server


def client(fred: FakeFred, key: str | None = None) -> FredClient:
    return FredClient(
        fred.key if key is None else key, base_url=fred.base_url, policy=FAST, limiter=NO_WAIT
    )


def test_missing_values_are_skipped_and_values_are_decimal(fred: FakeFred) -> None:
    found = client(fred).observations("VIXCLS")
    assert [o.date for o in found][:4] == [
        date(2024, 11, 25),
        date(2024, 11, 26),
        date(2024, 11, 27),
        date(2024, 11, 29),  # 11-28 was "."
    ]
    assert found[-1].value == Decimal("12.77")
    assert found[-1].date == date(2024, 12, 6)
    assert len(found) == 9
    sent = fred.requests[-1]
    assert sent["series_id"] == "VIXCLS"
    assert sent["file_type"] == "json"
    assert sent["sort_order"] == "desc"


def test_parse_the_reference_payload() -> None:
    found = parse_observations("UNRATE", reference("series_observations_UNRATE"))
    assert found[-1].value == Decimal("4.2")
    assert found[-1].date == date(2024, 11, 1)


def test_a_reply_without_observations_is_unavailable() -> None:
    with pytest.raises(BrokerUnavailable):
        parse_observations("VIXCLS", {"error": "x"})


def test_a_wrong_key_is_a_credentials_error_without_the_key(fred: FakeFred) -> None:
    with pytest.raises(CredentialsError) as caught:
        client(fred, key="wrong-key-abcdef").observations("VIXCLS")
    assert "not registered" in caught.value.message
    assert "wrong-key-abcdef" not in caught.value.message
    assert fred.count() == 1  # a 400 is not retried


def test_an_unknown_series_is_rejected(fred: FakeFred) -> None:
    with pytest.raises(BrokerRejected) as caught:
        client(fred).observations("NOPE")
    assert "does not exist" in caught.value.message


def test_5xx_is_retried_then_unavailable(fred: FakeFred) -> None:
    fred.fail_with(503)
    with pytest.raises(BrokerUnavailable) as caught:
        client(fred).observations("VIXCLS")
    assert "503" in caught.value.message
    assert fred.count() == FAST.max_attempts


def test_connection_refused_is_unavailable() -> None:
    with FakeFred() as gone:
        url = gone.base_url
    c = FredClient("k", base_url=url, policy=FAST, limiter=NO_WAIT)
    with pytest.raises(BrokerUnavailable) as caught:
        c.observations("VIXCLS")
    # where and what, not just "ConnectionError": the URL a proxy or FRED_API_URL set
    assert caught.value.message == (
        f"FRED unavailable: cannot reach {url} (connection failed) after 3 attempts"
    )


class Ticks:
    """A fake monotonic clock: sleeping moves it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_requests_one_second_apart() -> None:
    ticks = Ticks()
    limiter = RateLimiter(1.0, monotonic=ticks.monotonic, sleep=ticks.sleep)
    limiter.wait()  # the first goes at once
    ticks.now += 0.25
    limiter.wait()  # 0.75 s left to wait
    limiter.wait()  # a full second after the previous one
    ticks.now += 5
    limiter.wait()  # long after: no wait
    assert ticks.slept == [0.75, 1.0]


def test_every_request_goes_through_the_limiter(fred: FakeFred) -> None:
    ticks = Ticks()
    limiter = RateLimiter(1.0, monotonic=ticks.monotonic, sleep=ticks.sleep)
    c = FredClient(fred.key, base_url=fred.base_url, policy=FAST, limiter=limiter)
    for series in ("VIXCLS", "T10Y2Y", "UNRATE"):
        c.observations(series)
    assert ticks.slept == [1.0, 1.0]

"""Fixtures for the Alpaca adapter tests: a fake Alpaca server and fast-failing brokers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pm.broker.alpaca import AlpacaBroker
from tests.support.clocks import UtcClock
from tests.support.fake_alpaca import FakeAlpaca

API_KEY = "PKTEST0000FAKEKEYID1"
SECRET_KEY = "sEcReT-must-never-leak-0123456789abcdef"


@pytest.fixture
def utc_clock() -> UtcClock:
    return UtcClock()


@pytest.fixture
def fake_alpaca() -> Iterator[FakeAlpaca]:
    with FakeAlpaca() as srv:
        yield srv


@pytest.fixture
def make_broker(utc_clock: UtcClock) -> Callable[..., AlpacaBroker]:
    """AlpacaBroker with small timeouts and backoff, so fault tests stay fast."""

    def make(base_url: str, **overrides: Any) -> AlpacaBroker:
        options: dict[str, Any] = {
            "timeout_s": 0.5,
            "deadline_s": 3.0,
            "backoff_base_s": 0.01,
            "max_retry_wait_s": 2.0,
        }
        options.update(overrides)
        return AlpacaBroker(
            api_key=API_KEY, secret_key=SECRET_KEY, base_url=base_url, clock=utc_clock, **options
        )

    return make

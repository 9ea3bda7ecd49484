"""Each adapter package builds its own ports and says who it is, before any request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pm.broker.alpaca.adapter import LIVE_URL, PAPER_URL
from pm.broker.alpaca.build import build as build_alpaca
from pm.broker.demo.build import build as build_demo
from pm.broker.demo.seed import DEMO_ACCOUNT_ID
from pm.domain.errors import BadInput
from pm.ports import Adapters
from tests.broker.demo.fakes import FixedClock, MemoryStore


def alpaca(base_url: str = PAPER_URL) -> Adapters:
    return build_alpaca(
        api_key="PKTEST",
        secret_key="secret",
        base_url=base_url,
        data_url="https://data.alpaca.markets",
        clock=FixedClock(datetime(2026, 11, 24, tzinfo=UTC)),
        deadline_s=5,
    )


def test_alpaca_identity_is_the_brokers_without_a_request() -> None:
    adapters = alpaca(PAPER_URL + "/")
    identity = adapters.identity
    assert (identity.broker, identity.endpoint, identity.live, identity.simulated) == (
        "alpaca",
        PAPER_URL,
        False,
        False,
    )
    assert identity.account_id is None  # only the broker can say
    assert "secret" not in identity.key
    assert identity.key == adapters.broker.identity
    assert alpaca(LIVE_URL).identity.live is True
    assert alpaca(LIVE_URL).identity.key != identity.key


def test_alpaca_market_data_and_prices_are_built_on_first_use() -> None:
    adapters = alpaca()
    assert adapters.market_data.name == "alpaca"
    assert adapters.market_data is adapters.market_data
    assert adapters.latest_prices is adapters.latest_prices


def test_a_malformed_endpoint_is_bad_input() -> None:
    with pytest.raises(BadInput, match="must not end in /v2"):
        alpaca(PAPER_URL + "/v2")


def test_demo_opens_its_store_only_when_the_broker_is_used() -> None:
    opened: list[MemoryStore] = []

    def open_store() -> MemoryStore:
        opened.append(MemoryStore())
        return opened[-1]

    adapters = build_demo(open_store, FixedClock(datetime(2026, 11, 24, 15, tzinfo=UTC)))
    assert adapters.identity.account_id == DEMO_ACCOUNT_ID
    assert adapters.identity.simulated is True
    assert adapters.market_data.name == "demo"
    assert adapters.latest_prices.latest_price("AAPL") is not None
    assert opened == []
    assert adapters.broker.get_account().account_id == DEMO_ACCOUNT_ID
    assert adapters.broker is adapters.broker
    assert len(opened) == 1

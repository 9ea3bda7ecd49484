"""Account activities: the recorded first sync (cassette) and the parsing of activity pages
(sell_short is a sell, BTC/USD is BTCUSD, cash activities stored as they come, bad numbers
are malformed answers)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pm.broker.alpaca import AlpacaBroker
from pm.broker.alpaca.activities import parse_activities
from pm.broker.alpaca.parse import MalformedResponse
from pm.db.engine import open_database
from pm.domain.errors import BrokerUnavailable
from pm.domain.lots import match_fifo
from pm.services import trades
from tests.broker.conftest import UtcClock
from tests.broker.test_cassettes import replay
from tests.support.fake_alpaca import FakeAlpaca, payload

ACCOUNT = "2f6e8a41-7c3b-4c0e-9a57-3f1d2b7e9c10"


def test_first_sync_from_the_cassette(broker: AlpacaBroker, tmp_path: Path) -> None:
    with (
        open_database(f"sqlite:///{tmp_path}/pm.db") as db,
        replay.use_cassette("activities_sync.yaml"),
    ):
        repo = db.repository()
        result = trades.sync(broker, repo, ACCOUNT, UtcClock(), page_size=5)
        fills = repo.ledger.fills(ACCOUNT)
        cash = repo.ledger.cash_activities(ACCOUNT)
    assert (result.new_fills, result.new_cash, result.pages) == (9, 6, 4)
    assert result.state.complete
    tsla_short = next(f for f in fills if f.symbol == "TSLA" and f.side == "sell")
    assert tsla_short.price == Decimal("330.1")  # the sell_short activity
    assert {f.symbol for f in fills} == {"AAPL", "TSLA", "BTCUSD", "MSFT"}
    assert [a.activity_type for a in cash] == ["CSD", "JNLC", "FEE", "DIV", "CSW", "FEE"]
    div = next(a for a in cash if a.activity_type == "DIV")
    assert (div.qty, div.per_share_amount, div.net_amount) == (
        Decimal("50"),
        Decimal("0.25"),
        Decimal("12.5"),
    )
    lots = match_fifo(fills)
    aapl = [lot for lot in lots.closed if lot.symbol == "AAPL"]
    assert [(lot.qty, lot.realized_pl) for lot in aapl] == [(Decimal("15"), Decimal("96.00"))]
    tsla = next(lot for lot in lots.closed if lot.symbol == "TSLA")
    assert (tsla.side, tsla.realized_pl, tsla.holding_days, tsla.term) == (
        "short",
        Decimal("-75.50"),
        7,
        "short",
    )


@pytest.fixture
def broker() -> Any:
    b = AlpacaBroker(
        api_key="PKRECORDING0000000001",
        secret_key="recording-secret-0123456789",
        base_url="https://paper-api.alpaca.markets",
        clock=UtcClock(),
        max_attempts=1,
    )
    yield b
    b.close()


def test_reference_pages_parse() -> None:
    page = parse_activities(payload("trading/activities_fill_page2"))
    assert page.count == 4
    assert page.cash == ()
    assert page.last_id == page.fills[-1].fill_id
    short = page.fills[0]
    assert (short.symbol, short.side, short.qty, short.source) == (
        "TSLA",
        "sell",
        Decimal("5"),
        "activity",
    )
    assert short.transaction_time == datetime(2024, 11, 13, 16, 20, 41, 770392, tzinfo=UTC)
    assert short.broker_order_id == "cbf34692-7799-477a-a989-b2f8e7f9b201"
    cash = parse_activities(payload("trading/activities_non_trade")).cash
    fee = cash[0]
    assert (fee.activity_type, fee.activity_sub_type, fee.net_amount, fee.date) == (
        "FEE",
        "REG",
        Decimal("-0.1"),
        date(2024, 11, 18),
    )


def test_unknown_activity_types_are_kept_as_cash() -> None:
    item = {"id": "20241201000000000::z", "activity_type": "SPLIT", "date": "2024-12-01",
            "net_amount": "0", "symbol": "NVDA", "qty": "10"}  # fmt: skip
    (activity,) = parse_activities([item]).cash
    assert (activity.activity_type, activity.symbol, activity.qty) == ("SPLIT", "NVDA", 10)


FILL = payload("trading/activities_fill_page1")[0]


@pytest.mark.parametrize(
    "changes",
    [
        {"qty": "1e400"},
        {"qty": "NaN"},
        {"price": "Infinity"},
        {"price": "-414.98"},
        {"qty": "0"},
        {"price": "1234567890123456789012"},
        {"qty": None},
        {"side": "short"},
        {"transaction_time": "yesterday"},
        {"id": None},
        {"symbol": ""},
    ],
)
def test_bad_fills_are_malformed(changes: dict[str, Any]) -> None:
    with pytest.raises(MalformedResponse):
        parse_activities([{**FILL, **changes}])


@pytest.mark.parametrize(
    "changes", [{"net_amount": "NaN"}, {"net_amount": None}, {"date": "2024-13-01"}]
)
def test_bad_cash_activities_are_malformed(changes: dict[str, Any]) -> None:
    item = {**payload("trading/activities_non_trade")[1], **changes}
    with pytest.raises(MalformedResponse):
        parse_activities([item])


def test_the_adapter_reports_a_malformed_page_as_unavailable() -> None:
    with FakeAlpaca() as srv:
        srv.activities = [{**FILL, "qty": "1e400"}]
        b = AlpacaBroker(
            api_key="k", secret_key="s", base_url=srv.base_url, clock=UtcClock(), max_attempts=1
        )
        with pytest.raises(BrokerUnavailable, match="malformed response to GET /v2/account"):
            b.get_activities("fill", page_token=None)
        b.close()

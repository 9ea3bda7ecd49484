"""The gate through `services.validate` over the real Alpaca adapter: each broker rule, exact
limits, market hours, and the pattern-day-trader rule (a day trade is a sell of what pm's
ledger saw bought today, New York time; the rule applies only while the account reports its
PDT fields)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from pm.broker.alpaca.adapter import AlpacaBroker
from pm.domain.errors import CheckFailed
from pm.domain.ledger import Fill
from pm.domain.limits import RiskLimits
from pm.domain.models import Actor
from pm.services.sectors import SectorResolver
from pm.services.validate import Guard, ProposedOrder, require, validate
from tests.support.clocks import FakeClock
from tests.support.fake_alpaca import FakeAlpaca, payload
from tests.support.memory import MemoryBreakers

NOW = datetime(2024, 11, 25, 16, 0, tzinfo=UTC)  # 11:00 in New York


class Ledger:
    """The ledger's fills (only what validation reads)."""

    def __init__(self, fills: list[Fill]) -> None:
        self._fills = fills
        self.asked: list[datetime | None] = []

    def fills(
        self, account_id: str, *, symbol: str | None = None, since: datetime | None = None
    ) -> list[Fill]:
        self.asked.append(since)
        return [f for f in self._fills if since is None or f.transaction_time >= since]


def bought(symbol: str, when: datetime) -> Fill:
    return Fill(f"f-{when.isoformat()}", symbol, "buy", Decimal(10), Decimal(190), when, "broker")


@pytest.fixture
def srv() -> Iterator[FakeAlpaca]:
    with FakeAlpaca() as server:
        server.positions = [payload("trading/position_aapl")]
        server.account = {
            **payload("trading/account_before_2026-07-06_with_pdt_fields"),
            "daytrade_count": 3,
            "equity": "20000",
            "last_equity": "20000",
        }
        yield server


def guard(srv: FakeAlpaca, ledger: Ledger | None) -> Guard:
    clock = FakeClock(NOW)
    broker = AlpacaBroker(api_key="PKT", secret_key="s3cret", base_url=srv.base_url, clock=clock)
    return Guard(
        broker=broker,
        breakers=MemoryBreakers(),
        sectors=SectorResolver(None),
        limits=RiskLimits(),
        clock=clock,
        actor=Actor("tester", "box"),
        ledger=ledger,  # type: ignore[arg-type]
    )


SELL = ProposedOrder("AAPL", "sell", qty=Decimal(5))


def test_a_fourth_day_trade_under_25k_is_rejected(srv: FakeAlpaca) -> None:
    ledger = Ledger([bought("AAPL", NOW - timedelta(hours=1))])
    result = validate(guard(srv, ledger), SELL)
    assert not result.approved
    assert result.decision.codes == ("pattern_day_trader",)
    # "today" starts at midnight in New York
    assert ledger.asked == [datetime(2024, 11, 25, 5, 0, tzinfo=UTC)]
    with pytest.raises(CheckFailed, match=r"\[pattern_day_trader\]"):
        require(guard(srv, ledger), SELL)


@pytest.mark.parametrize(
    ("account", "fills"),
    [
        ({}, [bought("AAPL", NOW - timedelta(days=1))]),  # bought yesterday: not a day trade
        ({}, [bought("MSFT", NOW - timedelta(hours=1))]),  # another symbol
        ({"daytrade_count": 2}, [bought("AAPL", NOW - timedelta(hours=1))]),
        ({"equity": "25000"}, [bought("AAPL", NOW - timedelta(hours=1))]),
    ],
)
def test_otherwise_the_sell_passes(
    srv: FakeAlpaca, account: dict[str, Any], fills: list[Fill]
) -> None:
    srv.account = {**srv.account, **account}
    assert validate(guard(srv, Ledger(fills)), SELL).approved


def test_without_the_pdt_fields_there_is_no_check(srv: FakeAlpaca) -> None:
    srv.account = {**payload("trading/account"), "equity": "20000", "last_equity": "20000"}
    ledger = Ledger([bought("AAPL", NOW - timedelta(hours=1))])
    assert validate(guard(srv, ledger), SELL).approved
    assert ledger.asked == []  # the ledger is not even read


# -- the other broker rules, through the service over the real adapter ------------------------


def test_shares_held_for_orders_are_refused(srv: FakeAlpaca) -> None:
    srv.positions = [payload("trading/position_held_for_orders")]
    srv.account = payload("trading/account")
    result = validate(guard(srv, None), ProposedOrder("AAPL", "sell", qty=Decimal(20)))
    assert result.qty_available == Decimal(15)
    assert result.decision.codes == ("qty_available",)
    assert validate(guard(srv, None), ProposedOrder("AAPL", "sell", qty=Decimal(15))).approved


def test_close_all_frees_what_it_cancels(srv: FakeAlpaca) -> None:
    from pm.services.close import plan_close_all

    srv.positions = [payload("trading/position_held_for_orders")]
    srv.account = payload("trading/account")
    plan = plan_close_all(guard(srv, None))
    (validation,) = plan.validations
    assert validation.approved
    assert validation.qty == Decimal(35)


def test_a_restricted_account_refuses_a_short(srv: FakeAlpaca) -> None:
    srv.account = payload("trading/account_restricted")
    order = ProposedOrder("MSFT", "sell", qty=Decimal(1), price=Decimal(400))
    result = validate(guard(srv, None), order)
    assert result.decision.codes == ("trading_blocked", "shorting_disabled")
    with pytest.raises(CheckFailed, match=r"\[trading_blocked\].*\[shorting_disabled\]"):
        require(guard(srv, None), order)


def test_exact_limits_through_the_service(srv: FakeAlpaca) -> None:
    srv.account = {
        **payload("trading/account"),
        "equity": "10000000",
        "last_equity": "10000000",
        "buying_power": "20000000",
    }
    over = ProposedOrder("MSFT", "buy", qty=Decimal(1), price=Decimal("500004.999"))
    result = validate(guard(srv, None), over)
    assert result.decision.position_pct == Decimal("5.0000")
    assert result.decision.codes == ("position_limit",)
    at = ProposedOrder("MSFT", "buy", qty=Decimal(1), price=Decimal(500_000))
    assert validate(guard(srv, None), at).approved


def test_a_closed_market_and_crypto(srv: FakeAlpaca) -> None:
    srv.account = payload("trading/account")
    srv.clock = payload("trading/clock_closed")
    stock = validate(guard(srv, None), ProposedOrder("AAPL", "buy", qty=Decimal(1)))
    assert stock.approved
    assert stock.market_open is False
    assert [n.code for n in stock.decision.notes] == ["market_closed"]
    asked = srv.count("GET", "/v2/clock")
    crypto = ProposedOrder("BTC/USD", "buy", qty=Decimal("0.001"), price=Decimal(90_000))
    result = validate(guard(srv, None), crypto)
    assert result.market_open is None
    assert result.decision.notes == ()
    assert srv.count("GET", "/v2/clock") == asked  # crypto never asks the clock

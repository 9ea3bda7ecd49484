"""validate_all: many orders, one reading of the account (what close-all relies on)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pm.domain.errors import CheckFailed
from pm.domain.limits import RiskLimits
from pm.domain.models import Account, Actor, MarketClock
from pm.services.sectors import SectorResolver
from pm.services.validate import Fetched, Guard, ProposedOrder, require_all, validate, validate_all
from tests.support.clocks import FakeClock
from tests.support.memory import MemoryBreakers, MemorySectors
from tests.support.positions import position

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


class BookAlreadyFetched:
    """A broker that must not be called but for its clock: account and positions are passed
    in; the market hours are asked once per batch."""

    name = "demo"
    identity = "demo"
    simulated = True

    def __init__(self) -> None:
        self.clock_reads = 0

    def get_clock(self) -> MarketClock:
        self.clock_reads += 1
        return MarketClock(NOW, True, NOW, NOW)

    def __getattr__(self, method: str) -> object:
        raise AssertionError(f"validation called the broker's {method}")


def fetched_account(n: int) -> Fetched:
    held = [position(f"S{i:03d}", 10, 10) for i in range(n)]
    equity = sum((p.market_value for p in held), Decimal(0)) + Decimal(1000)
    account = Account(
        account_id="acct",
        account_number="PA1",
        status="ACTIVE",
        currency="USD",
        equity=equity,
        last_equity=equity,
        cash=Decimal(1000),
        buying_power=Decimal(2000),
        long_market_value=equity - 1000,
        short_market_value=Decimal(0),
    )
    return Fetched(account, held)


def guard(
    breakers: MemoryBreakers, sectors: MemorySectors, broker: BookAlreadyFetched | None = None
) -> Guard:
    return Guard(
        broker=broker or BookAlreadyFetched(),  # type: ignore[arg-type]
        breakers=breakers,
        sectors=SectorResolver(sectors, bundled={}),
        limits=RiskLimits(),
        clock=FakeClock(NOW),
        actor=Actor("tester", "box"),
        peak_equity=lambda _account: None,
    )


def closing_orders(b: Fetched) -> list[ProposedOrder]:
    return [ProposedOrder(p.symbol, "sell", qty=p.qty) for p in b.positions]


def test_three_hundred_closing_orders_read_the_breaker_and_sectors_once() -> None:
    breakers, sectors, broker = MemoryBreakers(), MemorySectors(), BookAlreadyFetched()
    b = fetched_account(300)
    results = require_all(guard(breakers, sectors, broker), closing_orders(b), fetched=b)
    assert len(results) == 300
    assert all(r.approved and r.decision.reducing for r in results)
    assert breakers.reads == 1
    assert sectors.queries == 1
    assert broker.clock_reads == 1


def test_each_result_matches_validating_the_order_alone() -> None:
    b = fetched_account(5)
    orders = [*closing_orders(b), ProposedOrder("S000", "buy", qty=Decimal(500))]
    together = validate_all(guard(MemoryBreakers(), MemorySectors()), orders, fetched=b)
    for order, result in zip(orders, together, strict=True):
        alone = validate(guard(MemoryBreakers(), MemorySectors()), order, fetched=b)
        assert result.decision == alone.decision
        assert (result.symbol, result.qty, result.current_qty) == (
            alone.symbol,
            alone.qty,
            alone.current_qty,
        )
    assert together[-1].approved is False


def test_require_all_names_every_rejected_order() -> None:
    b = fetched_account(3)
    orders = [ProposedOrder("S000", "buy", qty=Decimal(5000)), *closing_orders(b)]
    orders.append(ProposedOrder("S001", "buy", qty=Decimal(5000)))
    with pytest.raises(CheckFailed) as caught:
        require_all(guard(MemoryBreakers(), MemorySectors()), orders, fetched=b)
    assert "buy S000" in caught.value.message
    assert "buy S001" in caught.value.message


def test_closing_orders_pass_while_halted() -> None:
    b = fetched_account(4)
    results = require_all(
        guard(MemoryBreakers.halted("acct", NOW), MemorySectors()), closing_orders(b), fetched=b
    )
    assert all(r.approved for r in results)
    assert all(r.breaker.halted for r in results)

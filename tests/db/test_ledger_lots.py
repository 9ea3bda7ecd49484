"""The store's FIFO lots (`LedgerStore.lots`, matched from the rows as read) are the lots of
its fills (`match_fifo` of `LedgerStore.fills`), on SQLite and PostgreSQL: whatever the
fills, sides, fractions, times (microseconds, offsets, ties broken by id) and symbols."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pm.db.engine import Database
from pm.domain.ledger import ActivityPage, Fill
from pm.domain.lots import match_fifo

T0 = datetime(2024, 1, 2, 15, tzinfo=UTC)
_accounts = itertools.count()


@pytest.fixture(scope="module")
def db(module_database: Database) -> Database:
    return module_database


@st.composite
def ledgers(draw: st.DrawFn) -> list[Fill]:
    n = draw(st.integers(1, 40))
    fills = []
    for i in range(n):
        # some fills share a time (ordered by id then), some times carry another offset
        at = T0 + timedelta(seconds=draw(st.integers(0, 30)), microseconds=draw(st.integers(0, 2)))
        zone = draw(st.sampled_from([UTC, timezone(timedelta(hours=-5))]))
        fills.append(
            Fill(
                fill_id=f"2024010{draw(st.integers(1, 3))}::f{i:03d}",
                symbol=draw(st.sampled_from(["AAPL", "TSLA", "BTCUSD"])),
                side=draw(st.sampled_from(["buy", "sell"])),
                qty=draw(st.decimals(Decimal("0.000000001"), Decimal("50"), places=9)),
                price=draw(st.decimals(Decimal("0.01"), Decimal("100000"), places=4)),
                transaction_time=at.astimezone(zone),
                source="activity",
                broker_order_id=draw(st.none() | st.just(f"o{i}")),
            )
        )
    return fills


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fills=ledgers())
def test_the_stores_lots_are_the_lots_of_its_fills(db: Database, fills: list[Fill]) -> None:
    account = f"acct-lots-{next(_accounts)}"
    ledger = db.repository().ledger
    page = ActivityPage(tuple(fills), (), max(f.fill_id for f in fills), len(fills))
    ledger.commit_page(account, "fill", page, T0)
    stored = ledger.fills(account)
    assert ledger.lots(account) == match_fifo(stored)
    for symbol in ("AAPL", "BTCUSD"):
        assert ledger.lots(account, symbol=symbol) == match_fifo(
            ledger.fills(account, symbol=symbol)
        )
    assert ledger.lots("acct-nobody") == match_fifo([])

"""The account, snapshot, book (realized P/L) and demo stores, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from pm.db.demo_store import SqlDemoStore
from pm.db.engine import Database
from pm.db.repository import SqlRepository
from pm.db.tables import accounts, demo_accounts, demo_holdings, demo_orders, positions
from pm.domain.errors import DatabaseError
from pm.domain.models import Account, Order, Position, Source
from pm.domain.portfolio import Snapshot, build_snapshot
from pm.ports import DemoHolding, DemoState
from tests.support.positions import position as build

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
ACCOUNT = "acct-1"


@pytest.fixture
def demo(database: Database) -> SqlDemoStore:
    return database.demo_store()


def position(symbol: str = "AAPL", qty: str = "10", price: str = "190.25", **kw: Any) -> Position:
    return build(symbol, qty, price, **{"entry": "180.5", **kw})


def snapshot(at: datetime = T0, account_id: str = ACCOUNT, equity: str = "100000.01") -> Snapshot:
    account = Account(
        account_id=account_id,
        account_number="PA123",
        status="ACTIVE",
        currency="USD",
        equity=Decimal(equity),
        last_equity=Decimal("99000.5"),
        cash=Decimal("50000.123456789"),
        buying_power=Decimal("200000"),
        long_market_value=Decimal("60000"),
        short_market_value=Decimal("-10000"),
    )
    held = [
        position("AAPL"),
        position("TSLA", qty="-3", price="250.1"),
        position("BTCUSD", qty="0.123456789", price="64000.00000001", asset_class="crypto"),
    ]
    return build_snapshot(
        account,
        held,
        realized_pl=Decimal("12.34"),
        source=Source(type="live", broker="alpaca", fetched_at=at),
    )


# --- accounts -------------------------------------------------------------------------------


def test_register_and_find_account(repo: SqlRepository) -> None:
    assert repo.accounts.account_for("alpaca:paper:PK1") is None
    repo.accounts.register_account(ACCOUNT, "alpaca:paper:PK1", T0)
    assert repo.accounts.account_for("alpaca:paper:PK1") == ACCOUNT
    repo.accounts.register_account(
        ACCOUNT, "alpaca:paper:PK1", T0 + timedelta(hours=1)
    )  # idempotent
    assert repo.accounts.account_for("alpaca:paper:PK1") == ACCOUNT


def test_an_identity_moves_to_the_account_it_now_reaches(
    repo: SqlRepository, database: Database
) -> None:
    repo.accounts.register_account("a", "key-1", T0)
    repo.accounts.register_account("a", "key-2", T0 + timedelta(minutes=1))  # key rotated
    assert repo.accounts.account_for("key-1") is None
    assert repo.accounts.account_for("key-2") == "a"
    repo.accounts.register_account("b", "key-2", T0 + timedelta(minutes=2))  # key now reaches b
    assert repo.accounts.account_for("key-2") == "b"
    with database.engine.connect() as conn:
        rows = conn.execute(
            select(accounts.c.account_id, accounts.c.created_at, accounts.c.last_seen_at).order_by(
                accounts.c.account_id
            )
        ).all()
    assert rows == [
        ("a", T0, T0 + timedelta(minutes=1)),
        ("b", T0 + timedelta(minutes=2), T0 + timedelta(minutes=2)),
    ]


# --- snapshots ------------------------------------------------------------------------------


def test_snapshot_roundtrip(repo: SqlRepository) -> None:
    original = snapshot()
    repo.snapshots.save(original)
    assert repo.snapshots.latest(ACCOUNT) == original
    loaded = repo.snapshots.latest(ACCOUNT)
    assert loaded is not None
    assert loaded.source == Source(type="live", broker="alpaca", fetched_at=T0)
    assert [str(p.qty) for p in loaded.positions] == ["10", "-3", "0.123456789"]
    assert loaded.timestamp.tzinfo is not None


def test_snapshot_taken_in_another_zone_comes_back_utc(repo: SqlRepository) -> None:
    at = T0.astimezone(timezone(timedelta(hours=-5)))
    repo.snapshots.save(snapshot(at=at))
    loaded = repo.snapshots.latest(ACCOUNT)
    assert loaded is not None
    assert loaded.timestamp == T0
    assert loaded.timestamp.utcoffset() == timedelta(0)


def test_snapshot_without_pct_and_positions(repo: SqlRepository) -> None:
    empty = replace(snapshot(), daily_pl_pct=None, positions=(), positions_count=0)
    repo.snapshots.save(empty)
    assert repo.snapshots.latest(ACCOUNT) == empty


def test_snapshots_newest_first_since_and_limit(repo: SqlRepository) -> None:
    times = [T0 + timedelta(minutes=m) for m in (0, 5, 10, 15)]
    for i, at in enumerate(times):
        repo.snapshots.save(snapshot(at=at, equity=f"{100000 + i}"))
    repo.snapshots.save(snapshot(at=T0 + timedelta(minutes=7), account_id="other"))

    everything = repo.snapshots.history(ACCOUNT, since=None, limit=None)
    assert [s.timestamp for s in everything] == list(reversed(times))
    assert [s.equity for s in everything] == [Decimal(100003 - i) for i in range(4)]
    recent = repo.snapshots.history(ACCOUNT, since=times[1], limit=None)
    assert [s.timestamp for s in recent] == [times[3], times[2], times[1]]
    assert [s.timestamp for s in repo.snapshots.history(ACCOUNT, since=None, limit=2)] == [
        times[3],
        times[2],
    ]
    latest = repo.snapshots.latest(ACCOUNT)
    assert latest is not None
    assert latest.timestamp == times[3]
    assert repo.snapshots.latest("nobody") is None
    assert repo.snapshots.history("nobody", since=None, limit=None) == []


# --- positions ------------------------------------------------------------------------------


def test_at_most_one_open_row_per_symbol(repo: SqlRepository, database: Database) -> None:
    repo.accounts.register_account(ACCOUNT, "key", T0)
    row = {
        "account_id": ACCOUNT,
        "asset_id": "id-AAPL",
        "symbol": "AAPL",
        "quantity": Decimal(1),
        "side": "long",
        "asset_class": "us_equity",
        "entry_price": Decimal(1),
        "current_price": Decimal(1),
        "market_value": Decimal(1),
        "cost_basis": Decimal(1),
        "unrealized_pnl": Decimal(0),
        "unrealized_pl_pct": Decimal(0),
        "opened_at": T0,
        "entry_time": T0,
        "updated_at": T0,
    }
    with database.engine.begin() as conn:
        conn.execute(insert(positions), [row])
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        conn.execute(insert(positions), [row])
    with database.engine.begin() as conn:  # closed rows may repeat
        conn.execute(insert(positions), [row | {"closed_at": T0}, row | {"closed_at": T0}])


def test_realized_pl(repo: SqlRepository, database: Database) -> None:
    assert repo.book.realized_pl(ACCOUNT) is None
    repo.accounts.register_account(ACCOUNT, "key", T0)
    base = {
        "account_id": ACCOUNT,
        "asset_id": "x",
        "quantity": Decimal(0),
        "side": "long",
        "asset_class": "us_equity",
        "entry_price": Decimal(1),
        "current_price": Decimal(1),
        "market_value": Decimal(0),
        "cost_basis": Decimal(0),
        "unrealized_pnl": Decimal(0),
        "unrealized_pl_pct": Decimal(0),
        "opened_at": T0,
        "entry_time": T0,
        "updated_at": T0,
        "closed_at": T0,
    }
    with database.engine.begin() as conn:
        conn.execute(insert(positions), [base | {"symbol": "AAPL", "closed_at": None}])
    assert repo.book.realized_pl(ACCOUNT) is None  # open positions have no realized P/L
    with database.engine.begin() as conn:
        conn.execute(
            insert(positions),
            [
                base | {"symbol": "A", "realized_pl": Decimal("100.10")},
                base | {"symbol": "B", "realized_pl": Decimal("-0.000000001")},
                base | {"symbol": "C", "realized_pl": None},
            ],
        )
    assert repo.book.realized_pl(ACCOUNT) == Decimal("100.099999999")
    assert repo.book.realized_pl("other") is None


# --- errors ---------------------------------------------------------------------------------


def test_sql_errors_become_database_errors(repo: SqlRepository, database: Database) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("DROP TABLE portfolio_snapshots"))
    with pytest.raises(DatabaseError) as caught:
        repo.snapshots.latest(ACCOUNT)
    assert caught.value.message.startswith("database ")
    assert "\n" not in caught.value.message


# --- demo store -----------------------------------------------------------------------------


def order(n: int, status: str = "filled", **kw: object) -> Order:
    fields: dict[str, object] = {
        "id": f"order-{n}",
        "client_order_id": f"pm-{n}",
        "symbol": "AAPL",
        "side": "buy",
        "type": "market",
        "status": status,
        "qty": Decimal("1.5"),
        "notional": None,
        "filled_qty": Decimal("1.5"),
        "filled_avg_price": Decimal("190.123456"),
        "submitted_at": T0,
        "filled_at": T0 + timedelta(seconds=1),
    }
    fields.update(kw)
    return Order(**fields)  # type: ignore[arg-type]


def book(cash: str = "100000", **holdings: str) -> DemoState:
    return DemoState(
        account_id="demo",
        cash=Decimal(cash),
        holdings={
            symbol: DemoHolding(symbol, f"id-{symbol}", "us_equity", Decimal(qty), Decimal("10.5"))
            for symbol, qty in holdings.items()
        },
    )


def test_demo_store_roundtrip(demo: SqlDemoStore) -> None:
    assert demo.load("demo") is None
    first = book(AAPL="1.5", TSLA="-2")
    demo.save(first, [order(1)])
    assert demo.load("demo") == first
    second = book("99714.8148", AAPL="3")
    demo.save(second, [order(2, notional=Decimal("100"), qty=None, filled_avg_price=None)])
    assert demo.load("demo") == second  # holdings replaced, TSLA gone
    assert demo.find_order("demo", "pm-1") == order(1)
    assert demo.find_order("demo", "pm-2") == order(
        2, notional=Decimal("100"), qty=None, filled_avg_price=None
    )
    assert demo.find_order("demo", "pm-3") is None
    assert demo.find_order("other", "pm-1") is None


def test_demo_store_saving_an_order_again_updates_it(demo: SqlDemoStore) -> None:
    demo.save(book(), [order(1, status="accepted", filled_at=None)])
    demo.save(book(), [order(1)])
    assert demo.find_order("demo", "pm-1") == order(1)


def test_demo_store_save_is_all_or_nothing(demo: SqlDemoStore, database: Database) -> None:
    before = book(AAPL="1")
    demo.save(before, [order(1)])
    clash = order(2, client_order_id="pm-1")  # same client id, another order: refused
    with pytest.raises(DatabaseError):
        demo.save(book("5", MSFT="7"), [order(3), clash])
    assert demo.load("demo") == before
    assert demo.find_order("demo", "pm-3") is None
    with database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(demo_orders)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(demo_holdings)).scalar() == 1
        assert conn.execute(select(demo_accounts.c.cash)).scalar() == Decimal(100000)


def test_demo_store_fills_since(demo: SqlDemoStore) -> None:
    demo.save(book(), [order(1), order(2, filled_at=T0 + timedelta(hours=2))])
    demo.save(book(), [order(3, status="accepted", filled_at=None)])
    assert demo.fills_since("demo", T0) == [order(1), order(2, filled_at=T0 + timedelta(hours=2))]
    assert demo.fills_since("demo", T0 + timedelta(hours=1)) == [
        order(2, filled_at=T0 + timedelta(hours=2))
    ]
    assert demo.fills_since("other", T0) == []


def test_demo_store_reset_forgets_the_account_only(demo: SqlDemoStore) -> None:
    other = replace(book("5", MSFT="1"), account_id="other")
    demo.save(other, [order(9)])
    demo.save(book(AAPL="1"), [order(1)])
    demo.reset("demo")
    assert demo.load("demo") is None
    assert demo.find_order("demo", "pm-1") is None
    assert demo.load("other") == other
    assert demo.find_order("other", "pm-9") == order(9)

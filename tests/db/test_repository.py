"""SqlRepository and SqlDemoStore, the same tests on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from pm.broker.demo.book import DemoBook, Holding
from pm.db.engine import Database
from pm.db.models import AccountRow, DemoAccountRow, DemoHoldingRow, DemoOrderRow, PositionRow
from pm.db.repository import SqlDemoStore, SqlRepository
from pm.domain.errors import DatabaseError
from pm.domain.models import Account, Order, Position, Source
from pm.domain.portfolio import Snapshot, build_snapshot
from pm.ports import PositionSync
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
    assert repo.account_for("alpaca:paper:PK1") is None
    repo.register_account(ACCOUNT, "alpaca:paper:PK1", T0)
    assert repo.account_for("alpaca:paper:PK1") == ACCOUNT
    repo.register_account(ACCOUNT, "alpaca:paper:PK1", T0 + timedelta(hours=1))  # idempotent
    assert repo.account_for("alpaca:paper:PK1") == ACCOUNT


def test_an_identity_moves_to_the_account_it_now_reaches(
    repo: SqlRepository, database: Database
) -> None:
    repo.register_account("a", "key-1", T0)
    repo.register_account("a", "key-2", T0 + timedelta(minutes=1))  # key rotated
    assert repo.account_for("key-1") is None
    assert repo.account_for("key-2") == "a"
    repo.register_account("b", "key-2", T0 + timedelta(minutes=2))  # key now reaches b
    assert repo.account_for("key-2") == "b"
    with database.engine.connect() as conn:
        rows = conn.execute(
            select(AccountRow.account_id, AccountRow.created_at, AccountRow.last_seen_at).order_by(
                AccountRow.account_id
            )
        ).all()
    assert rows == [
        ("a", T0, T0 + timedelta(minutes=1)),
        ("b", T0 + timedelta(minutes=2), T0 + timedelta(minutes=2)),
    ]


# --- snapshots ------------------------------------------------------------------------------


def test_snapshot_roundtrip(repo: SqlRepository) -> None:
    original = snapshot()
    repo.save_snapshot(original)
    assert repo.latest_snapshot(ACCOUNT) == original
    loaded = repo.latest_snapshot(ACCOUNT)
    assert loaded is not None
    assert loaded.source == Source(type="live", broker="alpaca", fetched_at=T0)
    assert [str(p.qty) for p in loaded.positions] == ["10", "-3", "0.123456789"]
    assert loaded.timestamp.tzinfo is not None


def test_snapshot_taken_in_another_zone_comes_back_utc(repo: SqlRepository) -> None:
    at = T0.astimezone(timezone(timedelta(hours=-5)))
    repo.save_snapshot(snapshot(at=at))
    loaded = repo.latest_snapshot(ACCOUNT)
    assert loaded is not None
    assert loaded.timestamp == T0
    assert loaded.timestamp.utcoffset() == timedelta(0)


def test_snapshot_without_pct_and_positions(repo: SqlRepository) -> None:
    empty = replace(snapshot(), daily_pl_pct=None, positions=(), positions_count=0)
    repo.save_snapshot(empty)
    assert repo.latest_snapshot(ACCOUNT) == empty


def test_snapshots_newest_first_since_and_limit(repo: SqlRepository) -> None:
    times = [T0 + timedelta(minutes=m) for m in (0, 5, 10, 15)]
    for i, at in enumerate(times):
        repo.save_snapshot(snapshot(at=at, equity=f"{100000 + i}"))
    repo.save_snapshot(snapshot(at=T0 + timedelta(minutes=7), account_id="other"))

    everything = repo.snapshots(ACCOUNT, since=None, limit=None)
    assert [s.timestamp for s in everything] == list(reversed(times))
    assert [s.equity for s in everything] == [Decimal(100003 - i) for i in range(4)]
    recent = repo.snapshots(ACCOUNT, since=times[1], limit=None)
    assert [s.timestamp for s in recent] == [times[3], times[2], times[1]]
    assert [s.timestamp for s in repo.snapshots(ACCOUNT, since=None, limit=2)] == [
        times[3],
        times[2],
    ]
    latest = repo.latest_snapshot(ACCOUNT)
    assert latest is not None
    assert latest.timestamp == times[3]
    assert repo.latest_snapshot("nobody") is None
    assert repo.snapshots("nobody", since=None, limit=None) == []


# --- positions ------------------------------------------------------------------------------


def open_rows(database: Database, account_id: str = ACCOUNT) -> dict[str, tuple[object, ...]]:
    with database.engine.connect() as conn:
        rows = conn.execute(
            select(
                PositionRow.symbol, PositionRow.qty, PositionRow.opened_at, PositionRow.updated_at
            ).where(PositionRow.account_id == account_id, PositionRow.closed_at.is_(None))
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_sync_inserts_updates_and_counts_unchanged(repo: SqlRepository, database: Database) -> None:
    first = [position("AAPL"), position("MSFT", qty="2.5", price="410")]
    assert repo.sync_positions(ACCOUNT, first, T0) == PositionSync(2, 0, 0)
    assert open_rows(database) == {
        "AAPL": (Decimal(10), T0, T0),
        "MSFT": (Decimal("2.5"), T0, T0),
    }

    later = T0 + timedelta(minutes=1)
    assert repo.sync_positions(ACCOUNT, first, later) == PositionSync(0, 0, 2)

    second = [position("AAPL", price="191"), first[1], position("NVDA", qty="-1")]
    assert repo.sync_positions(ACCOUNT, second, later) == PositionSync(1, 1, 1)
    rows = open_rows(database)
    assert rows["AAPL"] == (Decimal(10), T0, later)
    assert rows["MSFT"] == (Decimal("2.5"), T0, T0)
    assert rows["NVDA"] == (Decimal(-1), later, later)

    # Another account's book is separate.
    assert repo.sync_positions("other", first, later) == PositionSync(2, 0, 0)
    assert set(open_rows(database, "other")) == {"AAPL", "MSFT"}


def test_sync_compares_decimals_by_value(repo: SqlRepository) -> None:
    repo.sync_positions(ACCOUNT, [position("AAPL", qty="10")], T0)
    same_value = position("AAPL", qty="10.000")
    assert repo.sync_positions(ACCOUNT, [same_value], T0) == PositionSync(0, 0, 1)


def test_sync_many_positions(repo: SqlRepository, database: Database) -> None:
    many = [position(f"S{i:04d}", qty=str(i + 1)) for i in range(1500)]
    assert repo.sync_positions(ACCOUNT, many, T0) == PositionSync(1500, 0, 0)
    changed = [
        position(p.symbol, qty=str(p.qty), price="1.01") if i % 2 else p for i, p in enumerate(many)
    ]
    assert repo.sync_positions(ACCOUNT, changed, T0) == PositionSync(0, 750, 750)
    assert len(open_rows(database)) == 1500


def test_sync_failure_leaves_the_book_unchanged(repo: SqlRepository, database: Database) -> None:
    repo.sync_positions(ACCOUNT, [position("AAPL")], T0)
    broken = replace(position("AAPL"), qty=Decimal("NaN"))  # fails in the UPDATE, after the
    # INSERT of MSFT ran
    with pytest.raises(DatabaseError):
        repo.sync_positions(ACCOUNT, [position("MSFT"), broken], T0 + timedelta(minutes=1))
    assert open_rows(database) == {"AAPL": (Decimal(10), T0, T0)}


def test_failure_injected_between_statements_rolls_back(
    repo: SqlRepository, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.engine import Connection

    real_execute = Connection.execute
    seen: list[str] = []

    def failing_execute(self: Connection, statement: Any, *args: Any, **kw: Any) -> Any:
        seen.append(type(statement).__name__)
        table = getattr(statement, "table", None)
        if getattr(statement, "is_insert", False) and getattr(table, "name", "") == "positions":
            raise RuntimeError("injected")  # after the account row and the SELECT ran
        return real_execute(self, statement, *args, **kw)

    monkeypatch.setattr(Connection, "execute", failing_execute)
    with pytest.raises(RuntimeError, match="injected"):
        repo.sync_positions(ACCOUNT, [position("AAPL")], T0)
    monkeypatch.undo()
    assert len(seen) >= 3
    assert open_rows(database) == {}
    with database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AccountRow)).scalar() == 0


def test_at_most_one_open_row_per_symbol(repo: SqlRepository, database: Database) -> None:
    repo.sync_positions(ACCOUNT, [position("AAPL")], T0)
    row = {
        "account_id": ACCOUNT,
        "asset_id": "id-AAPL",
        "symbol": "AAPL",
        "qty": Decimal(1),
        "side": "long",
        "asset_class": "us_equity",
        "avg_entry_price": Decimal(1),
        "current_price": Decimal(1),
        "market_value": Decimal(1),
        "cost_basis": Decimal(1),
        "unrealized_pl": Decimal(0),
        "unrealized_pl_pct": Decimal(0),
        "opened_at": T0,
        "updated_at": T0,
    }
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        conn.execute(insert(PositionRow), [row])
    with database.engine.begin() as conn:  # closed rows may repeat
        conn.execute(insert(PositionRow), [row | {"closed_at": T0}, row | {"closed_at": T0}])


def test_realized_pl(repo: SqlRepository, database: Database) -> None:
    assert repo.realized_pl(ACCOUNT) is None
    repo.sync_positions(ACCOUNT, [position("AAPL")], T0)
    assert repo.realized_pl(ACCOUNT) is None  # open positions have no realized P/L
    base = {
        "account_id": ACCOUNT,
        "asset_id": "x",
        "qty": Decimal(0),
        "side": "long",
        "asset_class": "us_equity",
        "avg_entry_price": Decimal(1),
        "current_price": Decimal(1),
        "market_value": Decimal(0),
        "cost_basis": Decimal(0),
        "unrealized_pl": Decimal(0),
        "unrealized_pl_pct": Decimal(0),
        "opened_at": T0,
        "updated_at": T0,
        "closed_at": T0,
    }
    with database.engine.begin() as conn:
        conn.execute(
            insert(PositionRow),
            [
                base | {"symbol": "A", "realized_pl": Decimal("100.10")},
                base | {"symbol": "B", "realized_pl": Decimal("-0.000000001")},
                base | {"symbol": "C", "realized_pl": None},
            ],
        )
    assert repo.realized_pl(ACCOUNT) == Decimal("100.099999999")
    assert repo.realized_pl("other") is None


# --- errors ---------------------------------------------------------------------------------


def test_sql_errors_become_database_errors(repo: SqlRepository, database: Database) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("DROP TABLE portfolio_snapshots"))
    with pytest.raises(DatabaseError) as caught:
        repo.latest_snapshot(ACCOUNT)
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


def book(cash: str = "100000", **holdings: str) -> DemoBook:
    return DemoBook(
        account_id="demo",
        cash=Decimal(cash),
        holdings={
            symbol: Holding(symbol, f"id-{symbol}", "us_equity", Decimal(qty), Decimal("10.5"))
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
        assert conn.execute(select(func.count()).select_from(DemoOrderRow)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(DemoHoldingRow)).scalar() == 1
        assert conn.execute(select(DemoAccountRow.cash)).scalar() == Decimal(100000)

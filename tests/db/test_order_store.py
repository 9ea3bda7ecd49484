"""The order store on a real database (SQLite and PostgreSQL): the audit row and the order
rows go in one transaction, the broker's answer is recorded with its status history, and a
fill of pm's goes into the ledger and moves the book in the same transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pm.db.repository import SqlRepository
from pm.db.tables import audit_log, fills, orders
from pm.domain.book import NewBookEntry
from pm.domain.errors import DatabaseError
from pm.domain.ledger import Fill
from pm.domain.models import Order
from pm.domain.pm_orders import MAX_CLIENT_ORDER_ID, OrderIntent

ACCOUNT = "acct-orders"
T0 = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def _begin(repo: SqlRepository, *intents: OrderIntent) -> tuple[int, list]:  # type: ignore[type-arg]
    return repo.orders.begin(
        account_id=ACCOUNT,
        action="close",
        arguments={"symbol": "AAPL"},
        os_user="me",
        host="box",
        at=T0,
        origin="close",
        origin_ref=None,
        intents=intents,
    )


def _answer(cid: str, status: str, filled: str, price: str | None) -> Order:
    return Order(
        id="b-1",
        client_order_id=cid,
        symbol="AAPL",
        side="sell",
        type="market",
        status=status,
        qty=Decimal(5),
        notional=None,
        filled_qty=Decimal(filled),
        filled_avg_price=None if price is None else Decimal(price),
        submitted_at=T0,
        filled_at=T0 + timedelta(seconds=1) if status == "filled" else None,
    )


def _count(repo: SqlRepository, table: object) -> int:
    with repo.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_audit_and_order_rows_are_written_together(repo: SqlRepository) -> None:
    intents = [
        OrderIntent("AAPL", "sell", qty=Decimal(5), reason_codes=("reducing",)),
        OrderIntent("BTCUSD", "sell", qty=Decimal("0.5"), time_in_force="gtc"),
    ]
    audit_id, rows = _begin(repo, *intents)
    assert [r.symbol for r in rows] == ["AAPL", "BTCUSD"]
    assert all(r.status == "pending" and r.audit_id == audit_id for r in rows)
    assert rows[0].client_order_id.startswith(f"pm-close-{audit_id}-0-")
    assert rows[1].client_order_id.startswith(f"pm-close-{audit_id}-1-")
    assert all(len(r.client_order_id) <= MAX_CLIENT_ORDER_ID for r in rows)
    assert rows[0].reason_codes == ["reducing"]
    assert rows[0].qty == Decimal(5)
    assert rows[1].qty == Decimal("0.5")
    (entry,) = repo.audit.entries(ACCOUNT)
    assert (entry.id, entry.outcome, entry.action) == (audit_id, "pending", "close")
    assert repo.orders.for_audit(audit_id) == rows
    assert repo.orders.unfinished_audits(ACCOUNT) == [audit_id]
    # a second action gets other client ids, even for the same leg numbers
    _, again = _begin(repo, intents[0])
    assert again[0].client_order_id != rows[0].client_order_id


def test_a_failed_order_insert_leaves_no_audit_row(repo: SqlRepository) -> None:
    good = OrderIntent("AAPL", "sell", qty=Decimal(1))
    broken = OrderIntent("MSFT", None, qty=Decimal(1))  # type: ignore[arg-type]  # NOT NULL
    with pytest.raises(DatabaseError):
        _begin(repo, good, broken)
    assert _count(repo, audit_log) == 0  # the audit row went with the failed order rows
    assert _count(repo, orders) == 0


def test_a_fill_goes_into_the_ledger_and_moves_the_book(repo: SqlRepository) -> None:
    repo.accounts.register_account(ACCOUNT, "demo:orders", T0)
    repo.book.add(
        ACCOUNT, NewBookEntry("AAPL", Decimal(27), "long", Decimal("180.00"), None, T0), T0
    )
    _, (row,) = _begin(repo, OrderIntent("AAPL", "sell", qty=Decimal(5)))
    sent = repo.orders.record(row, "new", T0, _answer(row.client_order_id, "new", "0", None))
    assert (sent.status, sent.broker_order_id, sent.filled_qty) == ("new", "b-1", 0)
    assert _count(repo, fills) == 0  # nothing filled yet
    done = repo.orders.record(
        sent, "filled", T0, _answer(row.client_order_id, "filled", "5", "223.58")
    )
    assert (done.status, done.filled_qty, done.filled_avg_price) == ("filled", 5, Decimal("223.58"))
    assert [h["status"] for h in done.status_history] == ["pending", "new", "filled"]
    (fill,) = repo.ledger.fills(ACCOUNT)
    assert (fill.fill_id, fill.source, fill.qty, fill.price) == (
        "order:b-1",
        "order",
        5,
        Decimal("223.58"),
    )
    (entry,) = repo.book.entries(ACCOUNT)
    assert entry.qty == Decimal(22)
    assert entry.avg_entry_price == Decimal("180.00")  # reducing keeps the entry price
    # recording the same answer again (a later settle) adds nothing
    repo.orders.record(done, "filled", T0, _answer(row.client_order_id, "filled", "5", "223.58"))
    assert len(repo.ledger.fills(ACCOUNT)) == 1
    assert repo.book.entries(ACCOUNT)[0].qty == Decimal(22)
    assert repo.orders.orders(ACCOUNT, unsettled=True) == []


def test_a_fill_that_closes_the_position_closes_the_book_row(repo: SqlRepository) -> None:
    repo.accounts.register_account(ACCOUNT, "demo:orders", T0)
    repo.book.add(
        ACCOUNT, NewBookEntry("AAPL", Decimal(5), "long", Decimal("180.00"), None, T0), T0
    )
    _, (row,) = _begin(repo, OrderIntent("AAPL", "sell", qty=Decimal(5)))
    repo.orders.record(row, "filled", T0, _answer(row.client_order_id, "filled", "5", "200"))
    assert repo.book.entries(ACCOUNT) == []
    (closed,) = repo.book.entries(ACCOUNT, include_closed=True)
    assert closed.closed_at is not None


def test_the_order_lock_is_held_by_one_at_a_time(repo: SqlRepository) -> None:
    with repo.orders.lock(ACCOUNT) as first:
        assert first
        other = SqlRepository(repo.engine)  # another store on the same database
        with other.orders.lock(ACCOUNT) as second:
            assert not second
        with repo.reconcile.lock(ACCOUNT) as reconcile:
            assert reconcile  # the reconciliation lock is another lock
    with repo.orders.lock(ACCOUNT) as again:
        assert again


def test_fills_that_open_or_flip_a_position_open_a_book_row(repo: SqlRepository) -> None:
    repo.accounts.register_account(ACCOUNT, "demo:orders", T0)
    repo.book.add(
        ACCOUNT, NewBookEntry("AAPL", Decimal(5), "long", Decimal("180.00"), None, T0), T0
    )
    _, (flip, new) = _begin(
        repo,
        OrderIntent("AAPL", "sell", qty=Decimal(8)),
        OrderIntent("BTC/USD", "buy", qty=Decimal("0.5")),
    )
    repo.orders.record(flip, "filled", T0, _answer(flip.client_order_id, "filled", "8", "200"))
    btc = replace(_answer(new.client_order_id, "filled", "0.5", "60000"), id="b-2", side="buy")
    repo.orders.record(new, "filled", T0, btc)
    held = {e.symbol: e for e in repo.book.entries(ACCOUNT)}
    assert (held["AAPL"].qty, held["AAPL"].avg_entry_price) == (Decimal(-3), Decimal(200))
    assert (held["BTCUSD"].qty, held["BTCUSD"].avg_entry_price) == (Decimal("0.5"), 60000)
    assert len(repo.book.entries(ACCOUNT, include_closed=True)) == 3  # the long row closed


def test_a_fill_the_activities_sync_stored_first_is_not_counted_twice(
    repo: SqlRepository,
) -> None:
    # a settle after an unknown outcome: a sync already stored the order's execution
    repo.accounts.register_account(ACCOUNT, "demo:orders", T0)
    repo.book.add(
        ACCOUNT, NewBookEntry("AAPL", Decimal(27), "long", Decimal("180.00"), None, T0), T0
    )
    _, (row,) = _begin(repo, OrderIntent("AAPL", "sell", qty=Decimal(5)))
    execution = Fill("exec-1", "AAPL", "sell", Decimal(5), Decimal("223.58"), T0, "activity", "b-1")
    assert repo.ledger.add_fills(ACCOUNT, [execution]) == 1
    done = repo.orders.record(
        row, "filled", T0, _answer(row.client_order_id, "filled", "5", "223.58")
    )
    assert [f.fill_id for f in repo.ledger.fills(ACCOUNT)] == ["exec-1"]
    assert repo.book.entries(ACCOUNT)[0].qty == Decimal(22)
    # a later settle recording the same answer moves neither the ledger nor the book
    repo.orders.record(done, "filled", T0, _answer(row.client_order_id, "filled", "5", "223.58"))
    assert [f.fill_id for f in repo.ledger.fills(ACCOUNT)] == ["exec-1"]
    assert repo.book.entries(ACCOUNT)[0].qty == Decimal(22)

"""Revision 0004 renames the book's columns to the seed's; rows written at 0003 survive it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from pm.db.engine import make_engine, open_database, upgrade
from pm.db.migrate import alembic_config
from pm.domain.book import BookEntry

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
T1 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)

# Positions as revision 0003 stored them (its column names), open and closed.
OLD_ROWS = [
    {
        "symbol": "AAPL",
        "qty": "10.123456789",
        "side": "long",
        "avg_entry_price": "180.5",
        "current_price": "190.25",
        "unrealized_pl": "98.706",
        "realized_pl": None,
        "closed_at": None,
    },
    {
        "symbol": "TSLA",
        "qty": "-3",
        "side": "short",
        "avg_entry_price": "250.1",
        "current_price": "240",
        "unrealized_pl": "30.3",
        "realized_pl": "-12.5",
        "closed_at": T1,
    },
]


def _at_0003(url: str) -> None:
    """A database migrated to 0003 with an account, two positions and a conflict record."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(connection=conn), "0003")
            conn.execute(
                text(
                    "INSERT INTO accounts (account_id, broker_identity, created_at, last_seen_at)"
                    " VALUES ('acct-1', 'key', :t, :t)"
                ),
                {"t": T0},
            )
            for row in OLD_ROWS:
                conn.execute(
                    text(
                        "INSERT INTO positions (account_id, asset_id, symbol, qty, side,"
                        " asset_class, avg_entry_price, current_price, market_value, cost_basis,"
                        " unrealized_pl, unrealized_pl_pct, strategy_id, opened_at, updated_at,"
                        " closed_at, realized_pl) VALUES ('acct-1', 'asset', :symbol, :qty,"
                        " :side, 'us_equity', :avg_entry_price, :current_price, '1', '2',"
                        " :unrealized_pl, '3.5', 's1', :t, :t, :closed_at, :realized_pl)"
                    ),
                    {**_stored(conn.dialect.name, row), "t": T0},
                )
    finally:
        engine.dispose()


def _stored(backend: str, row: dict[str, object]) -> dict[str, object]:
    """Decimal text as TEXT on SQLite, as NUMERIC on PostgreSQL (the way 0003 stored it)."""
    if backend == "sqlite":
        return row
    return {
        k: Decimal(v) if isinstance(v, str) and k not in ("symbol", "side") else v
        for k, v in row.items()
    }


def test_rows_at_0003_survive_the_rename(db_url: str) -> None:
    _at_0003(db_url)
    assert upgrade(db_url).before == "0003"
    with open_database(db_url) as db:
        entries = {e.symbol: e for e in db.repository().book.entries("acct-1", include_closed=True)}
        with db.engine.connect() as conn:
            # SQL written against the specification's names works.
            spec = conn.execute(
                text(
                    "SELECT symbol, quantity, entry_price, current_price, unrealized_pnl, side,"
                    " opened_at, entry_time, strategy_id FROM positions ORDER BY symbol"
                )
            ).all()
    assert [r.symbol for r in spec] == ["AAPL", "TSLA"]
    assert [Decimal(str(r.quantity)) for r in spec] == [Decimal("10.123456789"), Decimal(-3)]
    assert set(entries) == {"AAPL", "TSLA"}
    aapl, tsla = entries["AAPL"], entries["TSLA"]
    assert isinstance(aapl, BookEntry)
    assert (aapl.qty, aapl.avg_entry_price, aapl.current_price, aapl.unrealized_pl) == (
        Decimal("10.123456789"),
        Decimal("180.5"),
        Decimal("190.25"),
        Decimal("98.706"),
    )
    assert (aapl.strategy_id, aapl.opened_at, aapl.closed_at) == ("s1", T0, None)
    assert (tsla.qty, tsla.side, tsla.closed_at) == (Decimal(-3), "short", T1)
    with open_database(db_url) as db:
        assert db.repository().book.realized_pl("acct-1") == Decimal("-12.5")


def test_entry_time_starts_as_opened_at_and_the_open_index_still_holds(db_url: str) -> None:
    _at_0003(db_url)
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            same = conn.execute(
                text("SELECT count(*) FROM positions WHERE entry_time = opened_at")
            ).scalar_one()
            assert same == len(OLD_ROWS)
        # A second open AAPL row is refused, as before the migration.
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO positions (account_id, asset_id, symbol, quantity, side,"
                    " asset_class, entry_price, current_price, market_value, cost_basis,"
                    " unrealized_pnl, unrealized_pl_pct, opened_at, updated_at, entry_time)"
                    " VALUES ('acct-1', 'a', 'AAPL', '1', 'long', 'us_equity', '1', '1', '1',"
                    " '1', '0', '0', :t, :t, :t)"
                ),
                {"t": T0},
            )
    finally:
        engine.dispose()


def test_downgrade_restores_the_old_names(db_url: str) -> None:
    _at_0003(db_url)
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(connection=conn), "0003")
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT symbol, qty, avg_entry_price FROM positions ORDER BY symbol")
            ).all()
    finally:
        engine.dispose()
    assert [(r[0], Decimal(str(r[1])), Decimal(str(r[2]))) for r in rows] == [
        ("AAPL", Decimal("10.123456789"), Decimal("180.5")),
        ("TSLA", Decimal(-3), Decimal("250.1")),
    ]

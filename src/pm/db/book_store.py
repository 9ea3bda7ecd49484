"""`pm book`: the rows of the `positions` table, read and edited by hand (SQLAlchemy Core).

Each method is one transaction; a failure writes nothing. Manual edits are ordinary rows: the
next reconciliation compares them with the broker like any other.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from pm.db.queries import insert_one
from pm.db.rows import records
from pm.db.tables import position_column
from pm.db.tables import positions as positions_t
from pm.db.transactions import Transactions
from pm.domain.book import (
    MANUAL_ASSET_ID,
    BookChanges,
    BookEntry,
    NewBookEntry,
    asset_class_of,
    signed,
    valuation,
)
from pm.domain.errors import BadInput, NotFound


def _select() -> Any:
    """The columns a BookEntry is made of, labelled with its field names."""
    return select(
        *(positions_t.c[position_column(f.name)].label(f.name) for f in fields(BookEntry))
    )


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    """Record field names to the table's column names."""
    return {position_column(name): value for name, value in values.items()}


def _open_id(conn: Connection, account_id: str, symbol: str) -> int | None:
    value = conn.execute(
        select(positions_t.c.id).where(
            positions_t.c.account_id == account_id,
            positions_t.c.symbol == symbol,
            positions_t.c.closed_at.is_(None),
        )
    ).scalar_one_or_none()
    return None if value is None else int(value)


class SqlBookStore(Transactions):
    """Implements `pm.ports.BookStore`."""

    def entries(self, account_id: str, *, include_closed: bool = False) -> list[BookEntry]:
        query = _select().where(positions_t.c.account_id == account_id)
        if not include_closed:
            query = query.where(positions_t.c.closed_at.is_(None))
        query = query.order_by(positions_t.c.symbol, positions_t.c.opened_at, positions_t.c.id)
        with self.read() as conn:
            return records(BookEntry, conn.execute(query))

    def _get(self, conn: Connection, account_id: str, entry_id: int) -> BookEntry:
        row = conn.execute(
            _select().where(positions_t.c.account_id == account_id, positions_t.c.id == entry_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"no position with id {entry_id} in this account's book")
        return records(BookEntry, [row])[0]

    def get(self, account_id: str, entry_id: int) -> BookEntry:
        with self.read() as conn:
            return self._get(conn, account_id, entry_id)

    def add(self, account_id: str, entry: NewBookEntry, now: datetime) -> BookEntry:
        with self.write() as conn:
            existing = _open_id(conn, account_id, entry.symbol)
            if existing is not None:
                raise BadInput(
                    f"{entry.symbol} is already open in the book (id {existing}); "
                    f"use pm book edit {existing}"
                )
            opened_at = entry.opened_at or now
            values = {
                "account_id": account_id,
                "asset_id": MANUAL_ASSET_ID,
                "symbol": entry.symbol,
                "qty": entry.qty,
                "side": entry.side,
                "asset_class": asset_class_of(entry.symbol),
                "avg_entry_price": entry.entry_price,
                "current_price": entry.entry_price,
                **valuation(entry.qty, entry.entry_price, entry.entry_price),
                "strategy_id": entry.strategy_id,
                "opened_at": opened_at,
                "entry_time": opened_at,
                "updated_at": now,
                "closed_at": None,
            }
            new_id = insert_one(conn, insert(positions_t).values(_columns(values)))
            return self._get(conn, account_id, new_id)

    def edit(
        self, account_id: str, entry_id: int, changes: BookChanges, now: datetime
    ) -> BookEntry:
        with self.write() as conn:
            current = self._get(conn, account_id, entry_id)
            if not current.is_open:
                raise BadInput(f"position {entry_id} is closed; the book's history is not edited")
            side = changes.side or ("short" if current.qty < 0 else "long")
            size = abs(changes.qty) if changes.qty is not None else abs(current.qty)
            qty = signed(size, side)
            entry_price = changes.entry_price or current.avg_entry_price
            values: dict[str, Any] = {
                "qty": qty,
                "side": side,
                "avg_entry_price": entry_price,
                **valuation(qty, entry_price, current.current_price),
                "updated_at": now,
            }
            if changes.strategy_id is not None:
                values["strategy_id"] = changes.strategy_id or None
            if changes.opened_at is not None:
                values["opened_at"] = values["entry_time"] = changes.opened_at
            conn.execute(
                update(positions_t).where(positions_t.c.id == entry_id).values(_columns(values))
            )
            return self._get(conn, account_id, entry_id)

    def realized_pl(self, account_id: str) -> Decimal | None:
        # Summed here, not in SQL: SQLite keeps decimals as text and would sum through floats.
        with self.read() as conn:
            amounts = list(
                conn.execute(
                    select(positions_t.c.realized_pl).where(
                        positions_t.c.account_id == account_id,
                        positions_t.c.closed_at.is_not(None),
                        positions_t.c.realized_pl.is_not(None),
                    )
                ).scalars()
            )
        if not amounts:
            return None
        return sum(amounts, Decimal(0))

    def remove(self, account_id: str, entry_id: int) -> BookEntry:
        with self.write() as conn:
            current = self._get(conn, account_id, entry_id)
            conn.execute(delete(positions_t).where(positions_t.c.id == entry_id))
            return current


__all__ = ["SqlBookStore"]

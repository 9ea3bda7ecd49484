"""pm's own orders (`orders`), the fills they make (`fills`, source ``order``) and the book
rows those fills move (`positions`); implements `pm.ports.OrderStore`.

- `begin` writes the audit row ("pending") and one ``pending`` order row per leg in ONE
  transaction, before the broker call: a process killed at any later point leaves rows the
  next command can settle by looking the order up by its client_order_id.
- `record` stores what the broker said. When the order is final with a filled quantity, the
  fill row (``fill_id = "order:<broker order id>"``) and the change to the book's open row of
  the symbol go in the same transaction, so the book follows pm's own fills and the next
  reconciliation finds no difference.
- `lock` is the account's order lock (one order-placing command at a time), across processes
  and hosts: the reconciliation lock's mechanism (`pm.db.reconcile_lock`) under its own key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from pm.db import reconcile_lock as locks
from pm.db.ledger_store import uncovered_fills
from pm.db.queries import insert_one, newest_first, one_of_account
from pm.db.rows import jsonable, records
from pm.db.tables import audit_log, fills, orders, position_column
from pm.db.tables import positions as positions_t
from pm.db.transactions import Transactions, ensure_account
from pm.domain.book import asset_class_of, valuation
from pm.domain.errors import NotFound
from pm.domain.ledger import Fill
from pm.domain.models import Order
from pm.domain.orders import signed
from pm.domain.pm_orders import (
    FINAL_STATUSES,
    PENDING,
    OrderIntent,
    PmOrder,
    client_id_salt,
    new_client_order_id,
)
from pm.domain.portfolio import DUST_QTY, holding_key


def order_lock_key(account_id: str) -> int:
    digest = hashlib.blake2b(f"pm-orders:{account_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def order_lock(engine: Engine, account_id: str, wait_s: float = 0) -> Iterator[bool]:
    """The account's order lock (see the module doc); yields False when held elsewhere."""
    if engine.dialect.name == "postgresql":
        with locks._pg_lock(engine, order_lock_key(account_id), wait_s) as got:
            yield got
        return
    database = engine.url.database or ""
    if database in ("", ":memory:") or engine.url.query.get("mode") == "memory":
        with locks._memory_lock(engine, f"orders:{account_id}", wait_s) as got:
            yield got
        return
    digest = hashlib.blake2b(account_id.encode(), digest_size=6).hexdigest()
    db_path = Path(database).expanduser()
    path = db_path.with_name(f"{db_path.name}.orders-{digest}.lock")
    with locks._file_lock(engine, path, wait_s) as got:
        yield got


def _history(row_history: Any, status: str, at: datetime) -> list[dict[str, Any]]:
    history = list(row_history or [])
    if not history or history[-1].get("status") != status:
        history.append({"status": status, "at": jsonable(at)})
    return history


class SqlOrderStore(Transactions):
    def lock(self, account_id: str, wait_s: float = 0) -> AbstractContextManager[bool]:
        return order_lock(self.engine, account_id, wait_s)

    def begin(
        self,
        *,
        account_id: str,
        action: str,
        arguments: dict[str, Any],
        os_user: str,
        host: str,
        at: datetime,
        origin: str,
        origin_ref: str | None,
        intents: Sequence[OrderIntent],
    ) -> tuple[int, list[PmOrder]]:
        with self.write() as conn:
            ensure_account(conn, account_id, at)
            audit_id = insert_one(
                conn,
                insert(audit_log).values(
                    account_id=account_id,
                    action=action,
                    arguments=jsonable(arguments),
                    os_user=os_user,
                    host=host,
                    created_at=at,
                    outcome="pending",
                    outcome_details=None,
                    finished_at=None,
                ),
            )
            salt = client_id_salt(account_id, audit_id, at)
            rows = [
                {
                    "account_id": account_id,
                    "client_order_id": intent.client_order_id
                    or new_client_order_id(origin, audit_id, leg, salt),
                    "origin": origin,
                    "origin_ref": origin_ref if origin_ref is not None else str(audit_id),
                    "audit_id": audit_id,
                    "symbol": intent.symbol,
                    "side": intent.side,
                    "qty": intent.qty,
                    "notional": intent.notional,
                    "order_type": intent.order_type,
                    "limit_price": intent.limit_price,
                    "trail_percent": intent.trail_percent,
                    "time_in_force": intent.time_in_force,
                    "status": PENDING,
                    "status_history": [{"status": PENDING, "at": jsonable(at)}],
                    "broker_order_id": None,
                    "filled_qty": Decimal(0),
                    "filled_avg_price": None,
                    "reason_codes": list(intent.reason_codes),
                    "created_at": at,
                    "submitted_at": None,
                    "updated_at": at,
                    "filled_at": None,
                }
                for leg, intent in enumerate(intents)
            ]
            if rows:
                conn.execute(insert(orders), rows)
            placed = self._of_audit(conn, audit_id)
        return audit_id, placed

    def record(
        self, order: PmOrder, status: str, at: datetime, answer: Order | None = None
    ) -> PmOrder:
        with self.write() as conn:
            row = conn.execute(select(orders).where(orders.c.id == order.id)).one_or_none()
            if row is None:
                raise NotFound(f"order {order.id} not found")
            current = records(PmOrder, [row])[0]
            values: dict[str, Any] = {
                "status": status,
                "status_history": _history(current.status_history, status, at),
                "updated_at": at,
            }
            if answer is not None:
                values["broker_order_id"] = answer.id
                values["filled_qty"] = answer.filled_qty
                values["filled_avg_price"] = answer.filled_avg_price
                values["submitted_at"] = current.submitted_at or answer.submitted_at or at
                values["filled_at"] = answer.filled_at
            conn.execute(update(orders).where(orders.c.id == order.id).values(values))
            if (
                answer is not None
                and status in FINAL_STATUSES
                and answer.filled_qty > 0
                and answer.filled_avg_price is not None
            ):
                self._fill(conn, current, answer, at)
            return records(
                PmOrder, [conn.execute(select(orders).where(orders.c.id == order.id)).one()]
            )[0]

    def _fill(self, conn: Connection, order: PmOrder, answer: Order, at: datetime) -> None:
        """The order's fill row and the book's change, unless this fill is stored already."""
        if (
            order.status in FINAL_STATUSES
            and order.filled_qty == answer.filled_qty
            and order.filled_avg_price is not None
        ):
            return  # recorded before (its fill row may since be replaced by executions)
        fill_id = f"order:{answer.id}"
        known = conn.execute(
            select(fills.c.id).where(
                fills.c.account_id == order.account_id, fills.c.fill_id == fill_id
            )
        ).first()
        if known is not None:
            return
        assert answer.filled_avg_price is not None
        when = answer.filled_at or at
        provisional = Fill(
            fill_id,
            holding_key(order.symbol),
            order.side,
            answer.filled_qty,
            answer.filled_avg_price,
            when,
            "order",
            answer.id,
        )
        # Executions the activities sync stored already (a settle after it ran) count once.
        for f in uncovered_fills(conn, order.account_id, [provisional]):
            conn.execute(
                insert(fills).values(
                    account_id=order.account_id,
                    fill_id=f.fill_id,
                    order_id=order.id,
                    broker_order_id=f.broker_order_id,
                    symbol=f.symbol,
                    side=f.side,
                    qty=f.qty,
                    price=f.price,
                    transaction_time=f.transaction_time,
                    source=f.source,
                )
            )
        _move_book(conn, order, answer.filled_qty, answer.filled_avg_price, at)

    def get(self, account_id: str, order_id: int) -> PmOrder:
        with self.read() as conn:
            row = one_of_account(
                conn, orders, account_id, order_id, f"no order {order_id} of pm's in this account"
            )
        return records(PmOrder, [row])[0]

    def orders(
        self,
        account_id: str,
        *,
        unsettled: bool = False,
        symbol: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[PmOrder]:
        query = newest_first(orders, "created_at", account_id, since=since, limit=limit)
        if unsettled:
            query = query.where(orders.c.status.not_in(sorted(FINAL_STATUSES)))
        if symbol is not None:
            query = query.where(orders.c.symbol == symbol)
        with self.read() as conn:
            return records(PmOrder, conn.execute(query))

    def for_audit(self, audit_id: int) -> list[PmOrder]:
        with self.read() as conn:
            return self._of_audit(conn, audit_id)

    def unfinished_audits(self, account_id: str) -> list[int]:
        query = (
            select(orders.c.audit_id)
            .distinct()
            .join(audit_log, audit_log.c.id == orders.c.audit_id)
            .where(
                orders.c.account_id == account_id,
                audit_log.c.outcome.in_(("pending", "unknown")),
            )
        )
        with self.read() as conn:
            return sorted(int(x) for x in conn.scalars(query))

    @staticmethod
    def _of_audit(conn: Connection, audit_id: int) -> list[PmOrder]:
        query = select(orders).where(orders.c.audit_id == audit_id).order_by(orders.c.id)
        return records(PmOrder, conn.execute(query))


def _move_book(
    conn: Connection, order: PmOrder, qty: Decimal, price: Decimal, at: datetime
) -> None:
    """Apply a fill of pm's to the book's open row of the symbol (the broker's arithmetic):
    reducing keeps the entry price, adding averages it, reaching zero (or dust) closes the
    row, and
    crossing zero closes it and opens the other side at the fill price. A symbol the book
    does not hold is opened at the fill price (unless what is left is dust: selling the dust
    the book never held opens nothing)."""
    c = positions_t.c
    symbol = holding_key(order.symbol)
    row = conn.execute(
        select(c.id, c.quantity, c.entry_price, c.current_price).where(
            c.account_id == order.account_id, c.symbol == symbol, c.closed_at.is_(None)
        )
    ).first()
    old_qty = Decimal(row.quantity) if row is not None else Decimal(0)
    new_qty = old_qty + signed(order.side, qty)
    if row is not None and (abs(new_qty) < DUST_QTY or (old_qty > 0) != (new_qty > 0)):
        conn.execute(update(positions_t).where(c.id == row.id).values(closed_at=at, updated_at=at))
        row = None
    if row is None:
        if abs(new_qty) >= DUST_QTY:  # the book holds no dust (nor does reconcile add it)
            _open_row(conn, order, symbol, new_qty, price, at)
        return
    entry, current = Decimal(row.entry_price), Decimal(row.current_price)
    if abs(new_qty) > abs(old_qty):
        entry = (abs(old_qty) * entry + qty * price) / abs(new_qty)
    values = {
        "qty": new_qty,
        "avg_entry_price": entry,
        **valuation(new_qty, entry, current),
        "updated_at": at,
    }
    conn.execute(
        update(positions_t)
        .where(c.id == row.id)
        .values({position_column(k): v for k, v in values.items()})
    )


def _open_row(
    conn: Connection, order: PmOrder, symbol: str, qty: Decimal, price: Decimal, at: datetime
) -> None:
    values = {
        "account_id": order.account_id,
        "asset_id": f"order:{order.client_order_id}"[:64],
        "symbol": symbol,
        "qty": qty,
        "side": "long" if qty > 0 else "short",
        "asset_class": asset_class_of(order.symbol),
        "avg_entry_price": price,
        "current_price": price,
        **valuation(qty, price, price),
        "strategy_id": None,
        "opened_at": at,
        "entry_time": at,
        "updated_at": at,
        "closed_at": None,
    }
    conn.execute(insert(positions_t).values({position_column(k): v for k, v in values.items()}))


if __debug__:
    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from pm.ports import OrderStore

        def _implements_the_port(engine: Engine) -> OrderStore:
            return SqlOrderStore(engine)

"""The demo broker's state (`demo_accounts`, `demo_holdings`, `demo_orders`); implements
`DemoStore`. Not the book: the demo broker keeps its own account here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Row

from pm.db.tables import demo_accounts, demo_holdings, demo_orders
from pm.db.transactions import Transactions, upsert_insert
from pm.domain.models import Order, OrderSide
from pm.ports import DemoHolding, DemoState


def _order_row(account_id: str, order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "account_id": account_id,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "status": order.status,
        "qty": order.qty,
        "notional": order.notional,
        "filled_qty": order.filled_qty,
        "filled_avg_price": order.filled_avg_price,
        "submitted_at": order.submitted_at,
        "filled_at": order.filled_at,
    }


class SqlDemoStore(Transactions):
    """The demo broker's state in the local database."""

    def load(self, account_id: str) -> DemoState | None:
        with self.read() as conn:
            cash = conn.execute(
                select(demo_accounts.c.cash).where(demo_accounts.c.account_id == account_id)
            ).scalar_one_or_none()
            if cash is None:
                return None
            rows = conn.execute(
                select(demo_holdings)
                .where(demo_holdings.c.account_id == account_id)
                .order_by(demo_holdings.c.symbol)
            ).all()
        holdings = {
            row.symbol: DemoHolding(
                symbol=row.symbol,
                asset_id=row.asset_id,
                asset_class=row.asset_class,
                qty=row.qty,
                avg_entry_price=row.avg_entry_price,
            )
            for row in rows
        }
        return DemoState(account_id=account_id, cash=cash, holdings=holdings)

    def save(self, state: DemoState, new_orders: Sequence[Order]) -> None:
        holdings = [
            {
                "account_id": state.account_id,
                "symbol": h.symbol,
                "asset_id": h.asset_id,
                "asset_class": h.asset_class,
                "qty": h.qty,
                "avg_entry_price": h.avg_entry_price,
            }
            for h in state.holdings.values()
        ]
        with self.write() as conn:
            upsert = upsert_insert(conn)(demo_accounts).values(
                account_id=state.account_id, cash=state.cash
            )
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=["account_id"], set_={"cash": state.cash}
                )
            )
            conn.execute(
                delete(demo_holdings).where(demo_holdings.c.account_id == state.account_id)
            )
            if holdings:
                conn.execute(insert(demo_holdings), holdings)
            if new_orders:
                rows = [_order_row(state.account_id, order) for order in new_orders]
                stmt = upsert_insert(conn)(demo_orders)
                # An order saved again (its status moved on) replaces the stored one.
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["id"],
                        set_={
                            name: stmt.excluded[name]
                            for name in rows[0]
                            if name not in ("id", "account_id", "client_order_id")
                        },
                    ),
                    rows,
                )

    def find_order(self, account_id: str, client_order_id: str) -> Order | None:
        with self.read() as conn:
            row = conn.execute(
                select(demo_orders).where(
                    demo_orders.c.account_id == account_id,
                    demo_orders.c.client_order_id == client_order_id,
                )
            ).one_or_none()
        return None if row is None else _order_of(row)

    def orders(self, account_id: str, limit: int = 500) -> list[Order]:
        with self.read() as conn:
            rows = conn.execute(
                select(demo_orders)
                .where(demo_orders.c.account_id == account_id)
                .order_by(demo_orders.c.submitted_at.desc(), demo_orders.c.id.desc())
                .limit(limit)
            ).all()
        return [_order_of(row) for row in rows]

    def fills_since(self, account_id: str, since: datetime) -> list[Order]:
        with self.read() as conn:
            rows = conn.execute(
                select(demo_orders)
                .where(demo_orders.c.account_id == account_id, demo_orders.c.filled_at >= since)
                .order_by(demo_orders.c.filled_at)
            ).all()
        return [_order_of(row) for row in rows]

    def reset(self, account_id: str) -> None:
        with self.write() as conn:
            for table in (demo_orders, demo_holdings, demo_accounts):
                conn.execute(delete(table).where(table.c.account_id == account_id))


def _order_of(row: Row[Any]) -> Order:
    return Order(
        id=row.id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=cast(OrderSide, row.side),
        type=row.type,
        status=row.status,
        qty=row.qty,
        notional=row.notional,
        filled_qty=row.filled_qty,
        filled_avg_price=row.filled_avg_price,
        submitted_at=row.submitted_at,
        filled_at=row.filled_at,
    )


if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from pm.ports import DemoStore

    def _implements_the_port(engine: Engine) -> DemoStore:
        return SqlDemoStore(engine)

"""The ledger's fills and cash activities (`fills`, `cash_activities`): what lots, realized
P/L and the performance report are computed from.

Implements `pm.ports.LedgerStore`. Reads return records oldest first, the order FIFO needs.
Writes skip rows already stored (the same ``fill_id`` / ``activity_id``), so recording the same
activities twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select

from pm.db.rows import records
from pm.db.tables import cash_activities, fills
from pm.db.transactions import Transactions
from pm.domain.ledger import CashActivity, Fill


class SqlLedgerStore(Transactions):
    def fills(
        self, account_id: str, *, symbol: str | None = None, since: datetime | None = None
    ) -> list[Fill]:
        query = (
            select(fills)
            .where(fills.c.account_id == account_id)
            .order_by(fills.c.transaction_time, fills.c.fill_id)
        )
        if symbol is not None:
            query = query.where(fills.c.symbol == symbol)
        if since is not None:
            query = query.where(fills.c.transaction_time >= since)
        with self.read() as conn:
            return records(Fill, conn.execute(query))

    def cash_activities(self, account_id: str, *, since: date | None = None) -> list[CashActivity]:
        query = (
            select(cash_activities)
            .where(cash_activities.c.account_id == account_id)
            .order_by(cash_activities.c.date, cash_activities.c.activity_id)
        )
        if since is not None:
            query = query.where(cash_activities.c.date >= since)
        with self.read() as conn:
            return records(CashActivity, conn.execute(query))

    def add_fills(self, account_id: str, new: Sequence[Fill]) -> int:
        """Store the fills not stored yet (by `fill_id`) in one transaction; returns how many."""
        with self.write() as conn:
            known = set(
                conn.scalars(
                    select(fills.c.fill_id).where(
                        fills.c.account_id == account_id,
                        fills.c.fill_id.in_({f.fill_id for f in new}),
                    )
                )
            )
            rows = [
                {"account_id": account_id, **_fill_row(f)} for f in new if f.fill_id not in known
            ]
            if rows:
                conn.execute(fills.insert(), rows)
        return len(rows)

    def add_cash_activities(self, account_id: str, new: Sequence[CashActivity]) -> int:
        """Store the activities not stored yet (by `activity_id`); returns how many."""
        with self.write() as conn:
            known = set(
                conn.scalars(
                    select(cash_activities.c.activity_id).where(
                        cash_activities.c.account_id == account_id,
                        cash_activities.c.activity_id.in_({a.activity_id for a in new}),
                    )
                )
            )
            rows = [
                {"account_id": account_id, **_activity_row(a)}
                for a in new
                if a.activity_id not in known
            ]
            if rows:
                conn.execute(cash_activities.insert(), rows)
        return len(rows)


def _fill_row(fill: Fill) -> dict[str, object]:
    return {
        "fill_id": fill.fill_id,
        "broker_order_id": fill.broker_order_id,
        "symbol": fill.symbol,
        "side": fill.side,
        "qty": fill.qty,
        "price": fill.price,
        "transaction_time": fill.transaction_time,
        "source": fill.source,
    }


def _activity_row(activity: CashActivity) -> dict[str, object]:
    return {
        "activity_id": activity.activity_id,
        "activity_type": activity.activity_type,
        "activity_sub_type": activity.activity_sub_type,
        "date": activity.date,
        "net_amount": activity.net_amount,
        "symbol": activity.symbol,
        "qty": activity.qty,
        "per_share_amount": activity.per_share_amount,
        "description": activity.description,
        "status": activity.status,
    }

"""The `accounts` table: which account each broker identity (credentials) reaches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from pm.db.tables import accounts
from pm.db.transactions import Transactions, upsert_insert


class SqlAccountStore(Transactions):
    """Implements `pm.ports.AccountStore`."""

    def register_account(self, account_id: str, broker_identity: str, now: datetime) -> None:
        with self.write() as conn:
            # An identity reaches one account; if it used to reach another, forget that.
            conn.execute(
                update(accounts)
                .where(
                    accounts.c.broker_identity == broker_identity,
                    accounts.c.account_id != account_id,
                )
                .values(broker_identity=None)
            )
            stmt = upsert_insert(conn)(accounts).values(
                account_id=account_id,
                broker_identity=broker_identity,
                created_at=now,
                last_seen_at=now,
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["account_id"],
                    set_={"broker_identity": broker_identity, "last_seen_at": now},
                )
            )

    def account_for(self, broker_identity: str) -> str | None:
        with self.read() as conn:
            value = conn.execute(
                select(accounts.c.account_id).where(accounts.c.broker_identity == broker_identity)
            ).scalar_one_or_none()
        return None if value is None else str(value)

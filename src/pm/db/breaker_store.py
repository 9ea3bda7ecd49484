"""The circuit breaker's state in the `circuit_breakers` table; implements `BreakerStore`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import select

from pm.db.tables import circuit_breakers as breakers
from pm.db.transactions import Transactions, ensure_account, upsert_insert
from pm.domain.breaker import ACTIVE, HALTED, BreakerState, BreakerStatus


class SqlBreakerStore(Transactions):
    """One row per account; a missing row means the breaker never changed (ACTIVE)."""

    def get(self, account_id: str) -> BreakerStatus | None:
        with self.read() as conn:
            row = conn.execute(
                select(breakers).where(breakers.c.account_id == account_id)
            ).one_or_none()
        if row is None:
            return None
        return BreakerStatus(
            account_id=row.account_id,
            state=cast(BreakerState, row.state),
            reason=row.reason,
            changed_by=row.changed_by,
            changed_at=row.changed_at,
        )

    def trip(self, account_id: str, reason: str, who: str, at: datetime) -> BreakerStatus:
        values = {"state": HALTED, "reason": reason, "changed_by": who, "changed_at": at}
        with self.write() as conn:
            ensure_account(conn, account_id, at)
            stmt = upsert_insert(conn)(breakers).values(account_id=account_id, **values)
            # A breaker already HALTED keeps its first trip: who tripped it first, and why.
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["account_id"],
                    set_=values,
                    where=breakers.c.state != HALTED,
                )
            )
        found = self.get(account_id)
        assert found is not None
        return found

    def reset(self, account_id: str, who: str, at: datetime) -> BreakerStatus:
        values = {"state": ACTIVE, "reason": None, "changed_by": who, "changed_at": at}
        with self.write() as conn:
            ensure_account(conn, account_id, at)
            stmt = upsert_insert(conn)(breakers).values(account_id=account_id, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["account_id"], set_=values))
        return BreakerStatus(account_id=account_id, state=ACTIVE, changed_by=who, changed_at=at)


if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from pm.ports import BreakerStore

    def _implements_the_port(engine: Engine) -> BreakerStore:
        return SqlBreakerStore(engine)

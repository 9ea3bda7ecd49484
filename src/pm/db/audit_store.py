"""The `audit_log` table: destructive actions, written before they reach the broker.

Implements `pm.ports.AuditLog`. `begin` commits a "pending" row in its own transaction, so
the row exists even if the process dies during the broker call; `finish` records the outcome.
Arguments and details are stored as JSON: Decimals become their exact text, times ISO 8601.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, update

from pm.db.queries import insert_one, newest_first
from pm.db.rows import jsonable, records
from pm.db.tables import audit_log as audit
from pm.db.transactions import Transactions
from pm.domain.errors import NotFound
from pm.ports import AuditEntry


class SqlAuditLog(Transactions):
    def begin(
        self,
        *,
        account_id: str | None,
        action: str,
        arguments: dict[str, Any],
        os_user: str,
        host: str,
        at: datetime,
    ) -> int:
        row = {
            "account_id": account_id,
            "action": action,
            "arguments": jsonable(arguments),
            "os_user": os_user,
            "host": host,
            "created_at": at,
            "outcome": "pending",
            "outcome_details": None,
            "finished_at": None,
        }
        with self.write() as conn:
            return insert_one(conn, insert(audit).values(row))

    def finish(self, entry_id: int, *, outcome: str, details: dict[str, Any], at: datetime) -> None:
        with self.write() as conn:
            changed = conn.execute(
                update(audit)
                .where(audit.c.id == entry_id)
                .values(outcome=outcome, outcome_details=jsonable(details), finished_at=at)
            ).rowcount
        if changed != 1:
            raise NotFound(f"audit entry {entry_id} not found")

    def entries(
        self,
        account_id: str | None = None,
        *,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        query = newest_first(audit, "created_at", account_id, since=since, limit=limit)
        with self.read() as conn:
            rows = conn.execute(query).all()
        return records(AuditEntry, rows)


if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from pm.ports import AuditLog

    def _implements_the_port(engine: Engine) -> AuditLog:
        return SqlAuditLog(engine)

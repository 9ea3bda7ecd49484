"""The `jobs` table shared by every `pm watch`: which periodic job ran when, claimed atomically."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from pm.db.rows import records
from pm.db.tables import jobs as jobs_t
from pm.db.transactions import Transactions, ensure_account, upsert_insert
from pm.ports import JobState


class SqlJobStore(Transactions):
    """Implements `pm.ports.JobStore`."""

    def claim(self, account_id: str, name: str, interval_s: int, now: datetime) -> bool:
        cutoff = now - timedelta(seconds=interval_s)
        with self.write() as conn:
            ensure_account(conn, account_id, now)
            stmt = upsert_insert(conn)(jobs_t).values(
                account_id=account_id, name=name, interval_s=interval_s
            )
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["account_id", "name"]))
            # One UPDATE decides: concurrent claimers serialize on the row and re-check.
            result = conn.execute(
                update(jobs_t)
                .where(
                    jobs_t.c.account_id == account_id,
                    jobs_t.c.name == name,
                    or_(
                        jobs_t.c.last_run_at.is_(None),
                        jobs_t.c.last_status == "failed",
                        jobs_t.c.last_run_at <= cutoff,
                    ),
                )
                .values(
                    last_run_at=now, last_status="running", last_error=None, interval_s=interval_s
                )
            )
            return result.rowcount == 1

    def finish(self, account_id: str, name: str, status: str, error: str | None) -> None:
        with self.write() as conn:
            conn.execute(
                update(jobs_t)
                .where(jobs_t.c.account_id == account_id, jobs_t.c.name == name)
                .values(last_status=status, last_error=error)
            )

    def jobs(self, account_id: str) -> list[JobState]:
        with self.read() as conn:
            rows = conn.execute(
                select(jobs_t).where(jobs_t.c.account_id == account_id).order_by(jobs_t.c.name)
            ).all()
        return records(JobState, rows)

"""Rebalance runs (`rebalance_runs`); implements `pm.ports.RunStore`.

`create` commits the run row (its trace id, the input snapshot and the intents) in one
transaction before any order of the run is written or sent; `update` records its progress.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from pm.db.queries import insert_one, newest_first, one_of_account
from pm.db.rows import jsonable, records
from pm.db.tables import rebalance_runs as runs_t
from pm.db.transactions import Transactions, ensure_account
from pm.domain.errors import NotFound
from pm.domain.rebalance_runs import RebalanceRun

_UNSET: Any = object()


class SqlRunStore(Transactions):
    def create(
        self,
        *,
        account_id: str,
        policy_id: int | None,
        trace_id: str,
        status: str,
        trigger_type: str,
        input_snapshot: dict[str, Any],
        order_intents: list[dict[str, Any]],
        rationale: str | None,
        started_at: datetime,
    ) -> RebalanceRun:
        with self.write() as conn:
            ensure_account(conn, account_id, started_at)
            run_id = insert_one(
                conn,
                insert(runs_t).values(
                    account_id=account_id,
                    policy_id=policy_id,
                    trace_id=trace_id,
                    status=status,
                    trigger_type=trigger_type,
                    input_snapshot=jsonable(input_snapshot),
                    order_intents=jsonable(order_intents),
                    executed_orders=None,
                    rationale=rationale,
                    started_at=started_at,
                    completed_at=None,
                ),
            )
            row = conn.execute(select(runs_t).where(runs_t.c.id == run_id)).one()
        return records(RebalanceRun, [row])[0]

    def get(self, account_id: str, run_id: int) -> RebalanceRun:
        with self.read() as conn:
            row = one_of_account(
                conn, runs_t, account_id, run_id, f"no rebalance run {run_id} in this account"
            )
        return records(RebalanceRun, [row])[0]

    def runs(
        self,
        account_id: str,
        *,
        status: str | None = None,
        since: datetime | None = None,
        trigger_type: str | None = None,
        limit: int | None = None,
    ) -> list[RebalanceRun]:
        query = newest_first(runs_t, "started_at", account_id, since=since, limit=limit)
        if status is not None:
            query = query.where(runs_t.c.status == status)
        if trigger_type is not None:
            query = query.where(runs_t.c.trigger_type == trigger_type)
        with self.read() as conn:
            return records(RebalanceRun, conn.execute(query))

    def update(
        self,
        account_id: str,
        run_id: int,
        *,
        status: str | None = None,
        executed_orders: dict[str, Any] | None = None,
        rationale: str | None = None,
        completed_at: datetime | None = _UNSET,
        trace_id: str | None = None,
    ) -> RebalanceRun:
        values: dict[str, Any] = {}
        if status is not None:
            values["status"] = status
        if executed_orders is not None:
            values["executed_orders"] = jsonable(executed_orders)
        if rationale is not None:
            values["rationale"] = rationale
        if completed_at is not _UNSET:
            values["completed_at"] = completed_at
        if trace_id is not None:
            values["trace_id"] = trace_id
        where = (runs_t.c.account_id == account_id) & (runs_t.c.id == run_id)
        with self.write() as conn:
            if values:
                conn.execute(update(runs_t).where(where).values(values))
            row = conn.execute(select(runs_t).where(where)).one_or_none()
        if row is None:
            raise NotFound(f"no rebalance run {run_id} in this account")
        return records(RebalanceRun, [row])[0]


if __debug__:
    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from sqlalchemy.engine import Engine

        from pm.ports import RunStore

        def _implements_the_port(engine: Engine) -> RunStore:
            return SqlRunStore(engine)

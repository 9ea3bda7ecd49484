"""One database's stores, one per concern; implements `pm.ports.Repository`.

Each store is built (and its module imported) on first use, so a command pays only for the
stores it touches. All of them share the engine, and each store method is one transaction
(`pm.db.transactions`).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from pm.db.account_store import SqlAccountStore
    from pm.db.audit_store import SqlAuditLog
    from pm.db.book_store import SqlBookStore
    from pm.db.breaker_store import SqlBreakerStore
    from pm.db.demo_store import SqlDemoStore
    from pm.db.exit_store import SqlExitStore
    from pm.db.job_store import SqlJobStore
    from pm.db.ledger_store import SqlLedgerStore
    from pm.db.macro_store import SqlMacroCache
    from pm.db.order_store import SqlOrderStore
    from pm.db.policy_store import SqlPolicyStore
    from pm.db.reconcile_store import SqlReconcileStore
    from pm.db.risk_store import SqlRiskStore
    from pm.db.run_store import SqlRunStore
    from pm.db.snapshot_store import SqlSnapshotStore


class SqlRepository:
    """The stores of the database behind `engine`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @cached_property
    def accounts(self) -> SqlAccountStore:
        from pm.db.account_store import SqlAccountStore

        return SqlAccountStore(self.engine)

    @cached_property
    def snapshots(self) -> SqlSnapshotStore:
        from pm.db.snapshot_store import SqlSnapshotStore

        return SqlSnapshotStore(self.engine)

    @cached_property
    def book(self) -> SqlBookStore:
        from pm.db.book_store import SqlBookStore

        return SqlBookStore(self.engine)

    @cached_property
    def reconcile(self) -> SqlReconcileStore:
        from pm.db.reconcile_store import SqlReconcileStore

        return SqlReconcileStore(self.engine)

    @cached_property
    def jobs(self) -> SqlJobStore:
        from pm.db.job_store import SqlJobStore

        return SqlJobStore(self.engine)

    @cached_property
    def risk(self) -> SqlRiskStore:
        from pm.db.risk_store import SqlRiskStore

        return SqlRiskStore(self.engine)

    @cached_property
    def breakers(self) -> SqlBreakerStore:
        from pm.db.breaker_store import SqlBreakerStore

        return SqlBreakerStore(self.engine)

    @cached_property
    def audit(self) -> SqlAuditLog:
        from pm.db.audit_store import SqlAuditLog

        return SqlAuditLog(self.engine)

    @cached_property
    def ledger(self) -> SqlLedgerStore:
        from pm.db.ledger_store import SqlLedgerStore

        return SqlLedgerStore(self.engine)

    @cached_property
    def policies(self) -> SqlPolicyStore:
        from pm.db.policy_store import SqlPolicyStore

        return SqlPolicyStore(self.engine)

    @cached_property
    def macro(self) -> SqlMacroCache:
        """The macro cache of `pm regime` (`macro_observations`)."""
        from pm.db.macro_store import SqlMacroCache

        return SqlMacroCache(self.engine)

    @cached_property
    def orders(self) -> SqlOrderStore:
        from pm.db.order_store import SqlOrderStore

        return SqlOrderStore(self.engine)

    @cached_property
    def exits(self) -> SqlExitStore:
        from pm.db.exit_store import SqlExitStore

        return SqlExitStore(self.engine)

    @cached_property
    def runs(self) -> SqlRunStore:
        """Rebalance runs (`rebalance_runs`)."""
        from pm.db.run_store import SqlRunStore

        return SqlRunStore(self.engine)

    @cached_property
    def demo(self) -> SqlDemoStore:
        """The demo broker's own state (not a port of the services: the demo broker's)."""
        from pm.db.demo_store import SqlDemoStore

        return SqlDemoStore(self.engine)


if TYPE_CHECKING:
    from pm.ports import Repository

    def _implements_the_port(engine: Engine) -> Repository:
        return SqlRepository(engine)

"""Allocation policies in `allocation_policies` and `allocation_targets`; implements
`pm.ports.PolicyStore`.

Activating is one transaction that first locks the account's row (``FOR UPDATE`` on
PostgreSQL; SQLite's write transactions are already exclusive), deactivates the account's
other policies and activates this one: concurrent activations serialize, the last one wins,
and the partial unique index (`pm.db.indexes`) guarantees at most one active policy whatever
else writes the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from pm.db.tables import accounts
from pm.db.tables import allocation_policies as policies_t
from pm.db.tables import allocation_targets as targets_t
from pm.db.transactions import Transactions, ensure_account
from pm.domain.errors import BadInput, DatabaseError, NotFound
from pm.domain.policy import Policy, PolicySpec, Target


def _values(spec: PolicySpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "description": spec.description,
        "max_position_weight_pct": spec.max_position_weight_pct,
        "max_sector_weight_pct": spec.max_sector_weight_pct,
        "min_liquidity_tier": spec.min_liquidity_tier,
        "profit_taking_threshold_pct": spec.profit_taking_threshold_pct,
        "overweight_threshold_pct": spec.overweight_threshold_pct,
        "rotation_top_n": spec.rotation_top_n,
        "rebalance_frequency": spec.rebalance_frequency,
        "cash_weight_pct": spec.cash_weight_pct,
    }


class SqlPolicyStore(Transactions):
    """Policies by account and name; each method one transaction."""

    def policies(self, account_id: str) -> list[Policy]:
        with self.read() as conn:
            rows = conn.execute(
                select(policies_t)
                .where(policies_t.c.account_id == account_id)
                .order_by(policies_t.c.name)
            ).all()
            targets = self._targets(conn, [r.id for r in rows])
        return [_policy(r, targets.get(r.id, ())) for r in rows]

    def get(self, account_id: str, name: str) -> Policy:
        with self.read() as conn:
            return self._get(conn, account_id, name)

    def active(self, account_id: str) -> Policy | None:
        with self.read() as conn:
            row = conn.execute(
                select(policies_t).where(
                    policies_t.c.account_id == account_id, policies_t.c.is_active.is_(True)
                )
            ).one_or_none()
            if row is None:
                return None
            return _policy(row, self._targets(conn, [row.id]).get(row.id, ()))

    def create(self, account_id: str, spec: PolicySpec, who: str, now: datetime) -> Policy:
        try:
            with self.write() as conn:
                ensure_account(conn, account_id, now)
                new_id = conn.execute(
                    insert(policies_t)
                    .values(
                        account_id=account_id,
                        is_active=False,
                        created_by=who,
                        created_at=now,
                        updated_at=now,
                        **_values(spec),
                    )
                    .returning(policies_t.c.id)
                ).scalar_one()
                self._put_targets(conn, new_id, spec.targets)
                return self._get(conn, account_id, spec.name)
        except DatabaseError as exc:  # a unique name taken (meanwhile)
            if _is_integrity(exc):
                raise BadInput(f"a policy named {spec.name!r} already exists") from None
            raise

    def update(self, account_id: str, name: str, spec: PolicySpec, now: datetime) -> Policy:
        try:
            with self.write() as conn:
                current = self._get(conn, account_id, name)
                conn.execute(
                    update(policies_t)
                    .where(policies_t.c.id == current.id)
                    .values(updated_at=now, **_values(spec))
                )
                if spec.targets != current.spec.targets:
                    conn.execute(delete(targets_t).where(targets_t.c.policy_id == current.id))
                    self._put_targets(conn, current.id, spec.targets)
                return self._get(conn, account_id, spec.name)
        except DatabaseError as exc:
            if _is_integrity(exc):
                raise BadInput(f"a policy named {spec.name!r} already exists") from None
            raise

    def activate(self, account_id: str, name: str, now: datetime) -> Policy:
        with self.write() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    select(accounts.c.account_id)
                    .where(accounts.c.account_id == account_id)
                    .with_for_update()
                )
            policy = self._get(conn, account_id, name)
            conn.execute(
                update(policies_t)
                .where(
                    policies_t.c.account_id == account_id,
                    policies_t.c.id != policy.id,
                    policies_t.c.is_active.is_(True),
                )
                .values(is_active=False, updated_at=now)
            )
            conn.execute(
                update(policies_t)
                .where(policies_t.c.id == policy.id)
                .values(is_active=True, updated_at=now)
            )
            return self._get(conn, account_id, name)

    def deactivate(self, account_id: str, name: str, now: datetime) -> Policy:
        with self.write() as conn:
            policy = self._get(conn, account_id, name)
            if policy.is_active:
                conn.execute(
                    update(policies_t)
                    .where(policies_t.c.id == policy.id)
                    .values(is_active=False, updated_at=now)
                )
            return self._get(conn, account_id, name)

    def remove(self, account_id: str, name: str) -> Policy:
        with self.write() as conn:
            policy = self._get(conn, account_id, name)
            conn.execute(delete(targets_t).where(targets_t.c.policy_id == policy.id))
            conn.execute(delete(policies_t).where(policies_t.c.id == policy.id))
            return policy

    # -- helpers --------------------------------------------------------------------------

    def _get(self, conn: Connection, account_id: str, name: str) -> Policy:
        row = conn.execute(
            select(policies_t).where(
                policies_t.c.account_id == account_id, policies_t.c.name == name
            )
        ).one_or_none()
        if row is None:
            raise NotFound(f"no policy named {name!r} (see the policy list)")
        return _policy(row, self._targets(conn, [row.id]).get(row.id, ()))

    @staticmethod
    def _targets(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[Target, ...]]:
        if not ids:
            return {}
        found: dict[int, list[Target]] = {}
        for r in conn.execute(
            select(targets_t)
            .where(targets_t.c.policy_id.in_(ids))
            .order_by(targets_t.c.policy_id, targets_t.c.symbol)
        ):
            found.setdefault(r.policy_id, []).append(Target(r.symbol, r.weight_pct))
        return {k: tuple(v) for k, v in found.items()}

    @staticmethod
    def _put_targets(conn: Connection, policy_id: int, targets: Sequence[Target]) -> None:
        if targets:
            conn.execute(
                insert(targets_t),
                [
                    {"policy_id": policy_id, "symbol": t.symbol, "weight_pct": t.weight_pct}
                    for t in targets
                ],
            )


def _is_integrity(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, IntegrityError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _policy(row: Any, targets: Sequence[Target]) -> Policy:
    spec = PolicySpec(
        name=row.name,
        description=row.description,
        max_position_weight_pct=row.max_position_weight_pct,
        max_sector_weight_pct=row.max_sector_weight_pct,
        min_liquidity_tier=row.min_liquidity_tier,
        profit_taking_threshold_pct=row.profit_taking_threshold_pct,
        overweight_threshold_pct=row.overweight_threshold_pct,
        rotation_top_n=row.rotation_top_n,
        rebalance_frequency=row.rebalance_frequency,
        cash_weight_pct=row.cash_weight_pct,
        targets=tuple(sorted(targets, key=lambda t: t.symbol)),
    )
    return Policy(
        id=row.id,
        account_id=row.account_id,
        spec=spec,
        is_active=bool(row.is_active),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from pm.ports import PolicyStore

    def _implements_the_port(engine: Engine) -> PolicyStore:
        return SqlPolicyStore(engine)

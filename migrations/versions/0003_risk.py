"""Sector data, risk alerts, the circuit breaker and the audit log of destructive actions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 00:00:01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.account_id"],
        name=f"fk_{table}_account_id_accounts",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "universe_fundamentals",
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("industry", sa.String(128), nullable=True),
        ts("updated_at"),
        sa.PrimaryKeyConstraint("symbol", name="pk_universe_fundamentals"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=True),
        sa.Column("sector", sa.String(64), nullable=True),
        ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        account_fk("alerts"),
    )
    op.create_index("ix_alerts_account_id_created_at", "alerts", ["account_id", "created_at"])
    op.create_table(
        "circuit_breakers",
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(255), nullable=True),
        ts("changed_at"),
        sa.PrimaryKeyConstraint("account_id", name="pk_circuit_breakers"),
        account_fk("circuit_breakers"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("os_user", sa.String(255), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        ts("created_at"),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("outcome_details", sa.JSON(), nullable=True),
        ts("finished_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_account_id_created_at", "audit_log", ["account_id", "created_at"])


def downgrade() -> None:
    for table in ("audit_log", "circuit_breakers", "alerts", "universe_fundamentals"):
        op.drop_table(table)

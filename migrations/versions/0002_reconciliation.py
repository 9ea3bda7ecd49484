"""Reconciliation runs, position conflicts, and the periodic jobs of `pm watch`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def money(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric().with_variant(sa.Text(), "sqlite"), nullable=nullable)


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
        "reconciliation_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        ts("started_at"),
        ts("finished_at", nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reconciliation_runs"),
        account_fk("reconciliation_runs"),
    )
    op.create_index(
        "ix_reconciliation_runs_account_id_started_at",
        "reconciliation_runs",
        ["account_id", "started_at"],
    )
    op.create_table(
        "position_conflicts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        money("db_value", nullable=True),
        money("broker_value", nullable=True),
        sa.Column("resolution", sa.String(32), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        ts("detected_at"),
        ts("resolved_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_position_conflicts"),
        account_fk("position_conflicts"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reconciliation_runs.id"],
            name="fk_position_conflicts_run_id_reconciliation_runs",
            ondelete="SET NULL",
        ),
    )
    op.create_index(
        "ix_position_conflicts_account_id_detected_at",
        "position_conflicts",
        ["account_id", "detected_at"],
    )
    op.create_table(
        "jobs",
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        ts("last_run_at", nullable=True),
        sa.Column("last_status", sa.String(16), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "name", name="pk_jobs"),
        account_fk("jobs"),
    )


def downgrade() -> None:
    for table in ("jobs", "position_conflicts", "reconciliation_runs"):
        op.drop_table(table)

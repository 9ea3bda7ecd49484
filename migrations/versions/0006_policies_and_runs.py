"""Allocation policies and rebalance runs take the seed's columns; targets get their own table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 19:40:00

The placeholder tables of 0001 were never written by any command, so they are dropped and made
again (no rows to carry over): ``allocation_policies`` with the seed's columns plus
``account_id`` and ``cash_weight_pct``, ``allocation_targets`` (one target weight per policy and
symbol), and ``rebalance_runs`` with the seed's columns plus ``account_id``. At most one active
policy per account, by a partial unique index (``WHERE is_active``, on both dialects).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric().with_variant(sa.Text(), "sqlite")
ACTIVE_INDEX = "uq_allocation_policies_active_account_id"


def ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def money(name: str, *, nullable: bool = False, default: str | None = None) -> sa.Column[object]:
    return sa.Column(name, MONEY, nullable=nullable, server_default=default)


def account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.account_id"],
        name=f"fk_{table}_account_id_accounts",
        ondelete="CASCADE",
    )


def _drop_placeholders() -> None:
    op.drop_index("ix_rebalance_runs_account_id", table_name="rebalance_runs")
    op.drop_table("rebalance_runs")
    op.drop_index("ix_allocation_policies_account_id", table_name="allocation_policies")
    op.drop_table("allocation_policies")


def _create_placeholders() -> None:
    """The tables as 0001 made them."""
    op.create_table(
        "allocation_policies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        money("drift_threshold_pct"),
        sa.Column("active", sa.Boolean(), nullable=False),
        ts("created_at"),
        ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_allocation_policies"),
        account_fk("allocation_policies"),
        sa.UniqueConstraint("account_id", "name", name="uq_allocation_policies_account_id_name"),
    )
    op.create_index("ix_allocation_policies_account_id", "allocation_policies", ["account_id"])
    op.create_table(
        "rebalance_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        ts("started_at"),
        ts("finished_at", nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rebalance_runs"),
        account_fk("rebalance_runs"),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["allocation_policies.id"],
            name="fk_rebalance_runs_policy_id_allocation_policies",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_rebalance_runs_account_id", "rebalance_runs", ["account_id"])


def upgrade() -> None:
    _drop_placeholders()
    op.create_table(
        "allocation_policies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.false()),
        money("max_position_weight_pct", default="8"),
        money("max_sector_weight_pct", default="25"),
        sa.Column("min_liquidity_tier", sa.String(8), nullable=False, server_default="B"),
        money("profit_taking_threshold_pct", default="20"),
        money("overweight_threshold_pct", default="50"),
        sa.Column("rotation_top_n", sa.Integer(), nullable=False, server_default="10"),
        sa.Column("rebalance_frequency", sa.String(16), nullable=False, server_default="daily"),
        sa.Column("created_by", sa.String(255), nullable=True),
        ts("created_at"),
        ts("updated_at"),
        money("cash_weight_pct", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_allocation_policies"),
        account_fk("allocation_policies"),
        sa.UniqueConstraint("account_id", "name", name="uq_allocation_policies_account_id_name"),
        sa.CheckConstraint(
            "rebalance_frequency IN ('daily', 'weekly', 'monthly')",
            name="ck_allocation_policies_rebalance_frequency",
        ),
    )
    op.create_index(
        ACTIVE_INDEX,
        "allocation_policies",
        ["account_id"],
        unique=True,
        sqlite_where=sa.text("is_active"),
        postgresql_where=sa.text("is_active"),
    )
    op.create_table(
        "allocation_targets",
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        money("weight_pct"),
        sa.PrimaryKeyConstraint("policy_id", "symbol", name="pk_allocation_targets"),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["allocation_policies.id"],
            name="fk_allocation_targets_policy_id_allocation_policies",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "rebalance_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("trace_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trigger_type", sa.String(16), nullable=False),
        sa.Column("input_snapshot", sa.JSON(), nullable=False),
        sa.Column("order_intents", sa.JSON(), nullable=False),
        sa.Column("executed_orders", sa.JSON(), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        ts("started_at"),
        ts("completed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rebalance_runs"),
        account_fk("rebalance_runs"),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["allocation_policies.id"],
            name="fk_rebalance_runs_policy_id_allocation_policies",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'completed', 'failed')",
            name="ck_rebalance_runs_status",
        ),
        sa.CheckConstraint(
            "trigger_type IN ('manual', 'scheduled', 'threshold')",
            name="ck_rebalance_runs_trigger_type",
        ),
    )
    op.create_index(
        "ix_rebalance_runs_account_id_started_at", "rebalance_runs", ["account_id", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_rebalance_runs_account_id_started_at", table_name="rebalance_runs")
    op.drop_table("rebalance_runs")
    op.drop_table("allocation_targets")
    op.drop_index(ACTIVE_INDEX, table_name="allocation_policies")
    op.drop_table("allocation_policies")
    _create_placeholders()

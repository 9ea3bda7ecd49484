"""Initial tables: accounts, positions, seed tables, snapshots, the demo broker's state.

Revision ID: 0001
Revises:
Create Date: 2026-01-01 00:00:00

Self-contained on purpose (no imports from pm): money is NUMERIC on PostgreSQL and TEXT on
SQLite (see pm.db.types.DecimalType), timestamps are TIMESTAMP WITH TIME ZONE / DATETIME.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def money(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric().with_variant(sa.Text(), "sqlite"), nullable=nullable)


def ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def account_fk(table: str, referred: str = "accounts") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        [f"{referred}.account_id"],
        name=f"fk_{table}_account_id_{referred}",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("broker_identity", sa.String(255), nullable=True),
        sa.Column("broker", sa.String(32), nullable=True),
        ts("created_at"),
        ts("last_seen_at"),
        sa.PrimaryKeyConstraint("account_id", name="pk_accounts"),
        sa.UniqueConstraint("broker_identity", name="uq_accounts_broker_identity"),
    )

    op.create_table(
        "positions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("asset_id", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        money("qty"),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("asset_class", sa.String(32), nullable=False),
        money("avg_entry_price"),
        money("current_price"),
        money("market_value"),
        money("cost_basis"),
        money("unrealized_pl"),
        money("unrealized_pl_pct"),
        sa.Column("strategy_id", sa.String(64), nullable=True),
        ts("opened_at"),
        ts("updated_at"),
        ts("closed_at", nullable=True),
        money("realized_pl", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_positions"),
        account_fk("positions"),
    )
    op.create_index(
        "uq_positions_open_account_id_symbol",
        "positions",
        ["account_id", "symbol"],
        unique=True,
        sqlite_where=sa.text("closed_at IS NULL"),
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_index("ix_positions_account_id_closed_at", "positions", ["account_id", "closed_at"])

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

    op.create_table(
        "portfolio_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        ts("taken_at"),
        money("equity"),
        money("last_equity"),
        money("cash"),
        money("buying_power"),
        money("long_market_value"),
        money("short_market_value"),
        money("daily_pl"),
        money("daily_pl_pct", nullable=True),
        money("unrealized_pl"),
        money("realized_pl"),
        sa.Column("realized_pl_available", sa.Boolean(), nullable=False),
        money("total_pl"),
        sa.Column("positions_count", sa.Integer(), nullable=False),
        sa.Column("long_count", sa.Integer(), nullable=False),
        sa.Column("short_count", sa.Integer(), nullable=False),
        sa.Column("source_type", sa.String(16), nullable=False),
        sa.Column("broker", sa.String(32), nullable=False),
        sa.Column("composition", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_portfolio_snapshots"),
        account_fk("portfolio_snapshots"),
    )
    op.create_index(
        "ix_portfolio_snapshots_account_id_taken_at",
        "portfolio_snapshots",
        ["account_id", "taken_at"],
    )

    op.create_table(
        "demo_accounts",
        sa.Column("account_id", sa.String(64), nullable=False),
        money("cash"),
        sa.PrimaryKeyConstraint("account_id", name="pk_demo_accounts"),
    )

    op.create_table(
        "demo_holdings",
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("asset_id", sa.String(64), nullable=False),
        sa.Column("asset_class", sa.String(32), nullable=False),
        money("qty"),
        money("avg_entry_price"),
        sa.PrimaryKeyConstraint("account_id", "symbol", name="pk_demo_holdings"),
        account_fk("demo_holdings", "demo_accounts"),
    )

    op.create_table(
        "demo_orders",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("client_order_id", sa.String(128), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        money("qty", nullable=True),
        money("notional", nullable=True),
        money("filled_qty"),
        money("filled_avg_price", nullable=True),
        ts("submitted_at", nullable=True),
        ts("filled_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_demo_orders"),
        account_fk("demo_orders", "demo_accounts"),
        sa.UniqueConstraint(
            "account_id", "client_order_id", name="uq_demo_orders_account_id_client_order_id"
        ),
    )


def downgrade() -> None:
    for table in (
        "demo_orders",
        "demo_holdings",
        "demo_accounts",
        "portfolio_snapshots",
        "rebalance_runs",
        "allocation_policies",
        "positions",
        "accounts",
    ):
        op.drop_table(table)

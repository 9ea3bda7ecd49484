"""The trade ledger: pm's orders, every fill, cash activities and the activities sync's cursor.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric().with_variant(sa.Text(), "sqlite")


def ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def money(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, MONEY, nullable=nullable)


def account(table: str) -> tuple[sa.Column[object], sa.ForeignKeyConstraint]:
    return (
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=f"fk_{table}_account_id_accounts",
            ondelete="CASCADE",
        ),
    )


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *account("orders"),
        sa.Column("client_order_id", sa.String(128), nullable=False),
        sa.Column("origin", sa.String(32), nullable=False),
        sa.Column("origin_ref", sa.String(64), nullable=True),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        money("qty", nullable=True),
        money("notional", nullable=True),
        sa.Column("order_type", sa.String(16), nullable=False),
        money("limit_price", nullable=True),
        sa.Column("time_in_force", sa.String(8), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_history", sa.JSON(), nullable=False),
        sa.Column("broker_order_id", sa.String(64), nullable=True),
        money("filled_qty"),
        money("filled_avg_price", nullable=True),
        sa.Column("reason_codes", sa.JSON(), nullable=False),
        ts("created_at"),
        ts("submitted_at", nullable=True),
        ts("updated_at"),
        ts("filled_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audit_log.id"], name="fk_orders_audit_id_audit_log", ondelete="SET NULL"
        ),
        sa.UniqueConstraint(
            "account_id", "client_order_id", name="uq_orders_account_id_client_order_id"
        ),
    )
    op.create_index("ix_orders_account_id_status", "orders", ["account_id", "status"])
    op.create_index("ix_orders_account_id_created_at", "orders", ["account_id", "created_at"])
    op.create_table(
        "fills",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *account("fills"),
        sa.Column("fill_id", sa.String(128), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("broker_order_id", sa.String(64), nullable=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        money("qty"),
        money("price"),
        ts("transaction_time"),
        sa.Column("source", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fills"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_fills_order_id_orders", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("account_id", "fill_id", name="uq_fills_account_id_fill_id"),
    )
    op.create_index(
        "ix_fills_account_id_transaction_time", "fills", ["account_id", "transaction_time"]
    )
    op.create_table(
        "cash_activities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *account("cash_activities"),
        sa.Column("activity_id", sa.String(128), nullable=False),
        sa.Column("activity_type", sa.String(16), nullable=False),
        sa.Column("activity_sub_type", sa.String(16), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        money("net_amount"),
        sa.Column("symbol", sa.String(32), nullable=True),
        money("qty", nullable=True),
        money("per_share_amount", nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cash_activities"),
        sa.UniqueConstraint(
            "account_id", "activity_id", name="uq_cash_activities_account_id_activity_id"
        ),
    )
    op.create_index("ix_cash_activities_account_id_date", "cash_activities", ["account_id", "date"])
    op.create_table(
        "ledger_sync",
        *account("ledger_sync"),
        sa.Column("last_fill_id", sa.String(128), nullable=True),
        sa.Column("last_cash_id", sa.String(128), nullable=True),
        ts("synced_at"),
        ts("covers_from", nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        money("realized_pl", nullable=True),
        sa.Column("realized_fills", sa.Integer(), nullable=True),
        sa.Column("realized_last_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", name="pk_ledger_sync"),
    )


def downgrade() -> None:
    op.drop_table("ledger_sync")
    op.drop_index("ix_cash_activities_account_id_date", table_name="cash_activities")
    op.drop_table("cash_activities")
    op.drop_index("ix_fills_account_id_transaction_time", table_name="fills")
    op.drop_table("fills")
    op.drop_index("ix_orders_account_id_created_at", table_name="orders")
    op.drop_index("ix_orders_account_id_status", table_name="orders")
    op.drop_table("orders")

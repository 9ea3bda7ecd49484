"""Exit rules (`pm exits`): the rules, each open position's exit state, its change log, and
the trail percent of pm's native trailing_stop orders (`orders.trail_percent`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
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
    # a trailing_stop order's trail percent (`pm exits set --native`)
    with op.batch_alter_table("orders") as batch:
        batch.add_column(money("trail_percent", nullable=True))
    op.create_table(
        "exit_rules",
        *account("exit_rules"),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("take_profit", sa.JSON(), nullable=True),
        money("trail_pct", nullable=True),
        money("activate_at_pct"),
        money("breakeven_at_pct"),
        sa.Column("native", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_by", sa.String(128), nullable=True),
        ts("updated_at"),
        sa.PrimaryKeyConstraint("account_id", "symbol", name="pk_exit_rules"),
    )
    op.create_table(
        "exit_states",
        *account("exit_states"),
        sa.Column("position_key", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        money("entry"),
        money("original_qty"),
        money("hwm"),
        money("stop", nullable=True),
        sa.Column("breakeven", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("executed", sa.JSON(), nullable=False),
        ts("bars_until"),
        ts("created_at"),
        ts("updated_at"),
        ts("closed_at", nullable=True),
        sa.PrimaryKeyConstraint("account_id", "position_key", name="pk_exit_states"),
    )
    op.create_table(
        "exit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *account("exit_events"),
        sa.Column("position_key", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        ts("at"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_exit_events"),
    )
    op.create_index("ix_exit_events_account_id_at", "exit_events", ["account_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_exit_events_account_id_at", table_name="exit_events")
    op.drop_table("exit_events")
    op.drop_table("exit_states")
    op.drop_table("exit_rules")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("trail_percent")

"""The macro cache of `pm regime`: FRED's (or the demo's) observations with their fetch time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "macro_observations",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("series_id", sa.String(32), nullable=False),
        sa.Column("obs_date", sa.Date(), nullable=False),
        sa.Column("value", sa.Numeric().with_variant(sa.Text(), "sqlite"), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "series_id", "obs_date", name="pk_macro_observations"),
    )


def downgrade() -> None:
    op.drop_table("macro_observations")

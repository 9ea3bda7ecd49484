"""The book's columns take the seed's names: quantity, entry_price, unrealized_pnl, entry_time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 00:00:00

``qty`` becomes ``quantity``, ``avg_entry_price`` ``entry_price``, ``unrealized_pl``
``unrealized_pnl``; ``entry_time`` (when the position was entered, for holding periods) is new,
NOT NULL, and starts as each row's ``opened_at``. pm's own columns keep their names.

SQLite renames and changes nullability by rebuilding the table (alembic's batch mode), which
copies every row; the partial unique index of open rows is dropped first and made again after,
since a rebuilt table would not keep its WHERE clause. PostgreSQL alters the table in place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_INDEX = "uq_positions_open_account_id_symbol"
RENAMES = (
    ("qty", "quantity"),
    ("avg_entry_price", "entry_price"),
    ("unrealized_pl", "unrealized_pnl"),
)
TIMESTAMP = sa.DateTime(timezone=True)


def _open_index(create: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL keeps the index through the renames
    if create:
        op.create_index(
            OPEN_INDEX,
            "positions",
            ["account_id", "symbol"],
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
        )
    else:
        op.drop_index(OPEN_INDEX, table_name="positions")


def upgrade() -> None:
    _open_index(create=False)
    with op.batch_alter_table("positions") as batch:
        for old, new in RENAMES:
            batch.alter_column(old, new_column_name=new)
        batch.add_column(sa.Column("entry_time", TIMESTAMP, nullable=True))
    op.execute("UPDATE positions SET entry_time = opened_at")
    with op.batch_alter_table("positions") as batch:
        batch.alter_column("entry_time", existing_type=TIMESTAMP, nullable=False)
    _open_index(create=True)


def downgrade() -> None:
    _open_index(create=False)
    with op.batch_alter_table("positions") as batch:
        batch.drop_column("entry_time")
        for old, new in RENAMES:
            batch.alter_column(new, new_column_name=old)
    _open_index(create=True)

"""SQLAlchemy 2 models of the local book. Table and column names follow the seed.

Every row belongs to an account (``account_id``, the broker's account id). Money and
quantities use `DecimalType`, timestamps `UTCDateTime`. The migrations in ``migrations/``
must describe exactly these tables; ``tests/db/test_migrations.py`` checks that they agree.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pm.db.types import DecimalType, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

OPEN_ROW = text("closed_at IS NULL")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        Decimal: DecimalType(),
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[dict[str, Any]]: JSON(),
    }


class AccountRow(Base):
    """An account `pm` has seen, and which broker identity (credentials) reaches it."""

    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    broker_identity: Mapped[str | None] = mapped_column(String(255), unique=True)
    broker: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class PositionRow(Base):
    """A position in the book: open while ``closed_at`` is null, at most one open per symbol."""

    __tablename__ = "positions"
    __table_args__ = (
        Index(
            "uq_positions_open_account_id_symbol",
            "account_id",
            "symbol",
            unique=True,
            sqlite_where=OPEN_ROW,
            postgresql_where=OPEN_ROW,
        ),
        Index("ix_positions_account_id_closed_at", "account_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.account_id", ondelete="CASCADE")
    )
    asset_id: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(32))
    qty: Mapped[Decimal]
    side: Mapped[str] = mapped_column(String(8))
    asset_class: Mapped[str] = mapped_column(String(32))
    avg_entry_price: Mapped[Decimal]
    current_price: Mapped[Decimal]
    market_value: Mapped[Decimal]
    cost_basis: Mapped[Decimal]
    unrealized_pl: Mapped[Decimal]
    unrealized_pl_pct: Mapped[Decimal]
    strategy_id: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    realized_pl: Mapped[Decimal | None]


class AllocationPolicyRow(Base):
    """A target allocation (seed table; rebalancing uses it later)."""

    __tablename__ = "allocation_policies"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.account_id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    targets: Mapped[dict[str, Any]]
    drift_threshold_pct: Mapped[Decimal]
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RebalanceRunRow(Base):
    """One rebalance plan or execution (seed table; rebalancing uses it later)."""

    __tablename__ = "rebalance_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.account_id", ondelete="CASCADE"), index=True
    )
    policy_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("allocation_policies.id", ondelete="SET NULL")
    )
    trigger: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any] | None]


class SnapshotRow(Base):
    """A portfolio snapshot; ``composition`` holds the positions with decimals as strings."""

    __tablename__ = "portfolio_snapshots"
    __table_args__ = (
        Index("ix_portfolio_snapshots_account_id_taken_at", "account_id", "taken_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.account_id", ondelete="CASCADE")
    )
    taken_at: Mapped[datetime]
    equity: Mapped[Decimal]
    last_equity: Mapped[Decimal]
    cash: Mapped[Decimal]
    buying_power: Mapped[Decimal]
    long_market_value: Mapped[Decimal]
    short_market_value: Mapped[Decimal]
    daily_pl: Mapped[Decimal]
    daily_pl_pct: Mapped[Decimal | None]
    unrealized_pl: Mapped[Decimal]
    realized_pl: Mapped[Decimal]
    realized_pl_available: Mapped[bool] = mapped_column(Boolean)
    total_pl: Mapped[Decimal]
    positions_count: Mapped[int]
    long_count: Mapped[int]
    short_count: Mapped[int]
    source_type: Mapped[str] = mapped_column(String(16))
    broker: Mapped[str] = mapped_column(String(32))
    composition: Mapped[list[dict[str, Any]]]


class DemoAccountRow(Base):
    """The simulated account's cash (the demo broker's own state, not the book)."""

    __tablename__ = "demo_accounts"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cash: Mapped[Decimal]


class DemoHoldingRow(Base):
    """One holding of the simulated account; qty is negative for a short."""

    __tablename__ = "demo_holdings"

    account_id: Mapped[str] = mapped_column(
        String(64),
        ForeignKey("demo_accounts.account_id", ondelete="CASCADE"),
        primary_key=True,
    )
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(64))
    asset_class: Mapped[str] = mapped_column(String(32))
    qty: Mapped[Decimal]
    avg_entry_price: Mapped[Decimal]


class DemoOrderRow(Base):
    """An order the simulated account received; ``client_order_id`` is unique per account."""

    __tablename__ = "demo_orders"
    __table_args__ = (
        UniqueConstraint("account_id", "client_order_id"),
        ForeignKeyConstraint(["account_id"], ["demo_accounts.account_id"], ondelete="CASCADE"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64))
    client_order_id: Mapped[str] = mapped_column(String(128))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    qty: Mapped[Decimal | None]
    notional: Mapped[Decimal | None]
    filled_qty: Mapped[Decimal]
    filled_avg_price: Mapped[Decimal | None]
    submitted_at: Mapped[datetime | None]
    filled_at: Mapped[datetime | None]

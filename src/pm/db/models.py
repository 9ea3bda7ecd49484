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
    Text,
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


class ReconciliationRunRow(Base):
    """One `pm reconcile` (or watch cycle): what it changed, or why it did not run."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (
        Index("ix_reconciliation_runs_account_id_started_at", "account_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.account_id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None]
    added: Mapped[int]
    removed: Mapped[int]
    updated: Mapped[int]
    conflicts: Mapped[int]
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None]


class PositionConflictRow(Base):
    """A quantity the book and the broker disagreed on, and how it was resolved."""

    __tablename__ = "position_conflicts"
    __table_args__ = (
        Index("ix_position_conflicts_account_id_detected_at", "account_id", "detected_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.account_id", ondelete="CASCADE")
    )
    run_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("reconciliation_runs.id", ondelete="SET NULL")
    )
    symbol: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(32))
    db_value: Mapped[Decimal | None]
    broker_value: Mapped[Decimal | None]
    resolution: Mapped[str] = mapped_column(String(32))
    resolved: Mapped[bool] = mapped_column(Boolean)
    detected_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class JobRow(Base):
    """A periodic job of `pm watch` for one account, with its interval and last run."""

    __tablename__ = "jobs"

    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.account_id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    interval_s: Mapped[int]
    last_run_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)


class UniverseFundamentalRow(Base):
    """A symbol's sector (and industry), imported with `pm sectors import`."""

    __tablename__ = "universe_fundamentals"

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    sector: Mapped[str] = mapped_column(String(64))
    industry: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime]


class AlertRow(Base):
    """A risk alert or limit breach, as `pm risk` found it."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_account_id_created_at", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.account_id", ondelete="CASCADE")
    )
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    symbol: Mapped[str | None] = mapped_column(String(32))
    sector: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class CircuitBreakerRow(Base):
    """The trading halt switch of one account: ACTIVE, or HALTED with reason, who and when."""

    __tablename__ = "circuit_breakers"

    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.account_id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str | None] = mapped_column(String(255))
    changed_at: Mapped[datetime]


class AuditLogRow(Base):
    """A destructive action, written before it reaches the broker and updated with its outcome."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_account_id_created_at", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[dict[str, Any]]
    os_user: Mapped[str] = mapped_column(String(255))
    host: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16))
    outcome_details: Mapped[dict[str, Any] | None]
    finished_at: Mapped[datetime | None]

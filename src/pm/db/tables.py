"""The local book's tables as SQLAlchemy Core `Table` objects. Names follow the seed.

Core, not the ORM: the stores write with set-based statements and read rows into domain
records, so nothing here needs `sqlalchemy.orm` (which costs a command a third of a second to
import). Every row belongs to an account (``account_id``, the broker's account id). Money and
quantities use `DecimalType`, timestamps `UTCDateTime`.

The migrations in ``migrations/`` must describe exactly these tables plus the indexes of
`pm.db.indexes` (``tests/db/test_migrations.py`` checks that they agree).
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from pm.db.types import DecimalType, UTCDateTime
from pm.domain.models import Position

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _money(name: str, *, nullable: bool = False) -> Column[Any]:
    return Column(name, DecimalType(), nullable=nullable)


def _time(name: str, *, nullable: bool = False) -> Column[Any]:
    return Column(name, UTCDateTime(), nullable=nullable)


def _text(name: str, length: int | None = None, *, nullable: bool = False) -> Column[Any]:
    return Column(name, String(length) if length else Text(), nullable=nullable)


def _account_id(
    referred: str = "accounts.account_id", *, primary_key: bool = False, index: bool = False
) -> Column[Any]:
    return Column(
        "account_id",
        String(64),
        ForeignKey(referred, ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
        index=index,
    )


def _id() -> Column[Any]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


#: An account `pm` has seen, and which broker identity (credentials) reaches it.
accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("broker_identity", String(255), unique=True),
    _text("broker", 32, nullable=True),
    _time("created_at"),
    _time("last_seen_at"),
)

#: The book: open while ``closed_at`` is null, at most one open row per symbol (the partial
#: unique index in `pm.db.indexes`). The seed's column names (``quantity``, ``entry_price``,
#: ``current_price``, ``unrealized_pnl``, ``side``, ``opened_at``, ``entry_time``,
#: ``strategy_id``) so SQL written against the specification works; the rest are pm's own.
positions = Table(
    "positions",
    metadata,
    _id(),
    _account_id(),
    _text("asset_id", 64),
    _text("symbol", 32),
    _money("quantity"),
    _text("side", 8),
    _text("asset_class", 32),
    _money("entry_price"),
    _money("current_price"),
    _money("market_value"),
    _money("cost_basis"),
    _money("unrealized_pnl"),
    _money("unrealized_pl_pct"),
    _text("strategy_id", 64, nullable=True),
    _time("opened_at"),
    _time("updated_at"),
    _time("closed_at", nullable=True),
    _money("realized_pl", nullable=True),
    _time("entry_time"),
    Index("ix_positions_account_id_closed_at", "account_id", "closed_at"),
)

#: The stored fields of a `Position` (those without a default: the ones added later, such as
#: `qty_available`, describe the broker's moment and are not stored), and those that hold
#: Decimals.
POSITION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Position) if f.default is MISSING)
DECIMAL_POSITION_FIELDS = frozenset(
    f.name for f in fields(Position) if f.type in ("Decimal", Decimal)
)

#: The `positions` column of each field of a `Position` (and of a book entry) whose name
#: differs from the field's: pm's records keep their names, the table the seed's.
POSITION_COLUMN_OF = {
    "qty": "quantity",
    "avg_entry_price": "entry_price",
    "unrealized_pl": "unrealized_pnl",
}


def position_column(field: str) -> str:
    """The `positions` column that stores the record field `field`."""
    return POSITION_COLUMN_OF.get(field, field)


#: An allocation policy (the seed's columns, plus ``account_id`` and ``cash_weight_pct``): its
#: limits, and target weights in `allocation_targets`. At most one active policy per account
#: (the partial unique index in `pm.db.indexes`); names are unique per account.
allocation_policies = Table(
    "allocation_policies",
    metadata,
    _id(),
    _account_id(),
    _text("name", 100),
    _text("description", nullable=True),
    Column("is_active", Boolean, nullable=False, server_default=false()),
    Column("max_position_weight_pct", DecimalType(), nullable=False, server_default="8"),
    Column("max_sector_weight_pct", DecimalType(), nullable=False, server_default="25"),
    Column("min_liquidity_tier", String(8), nullable=False, server_default="B"),
    Column("profit_taking_threshold_pct", DecimalType(), nullable=False, server_default="20"),
    Column("overweight_threshold_pct", DecimalType(), nullable=False, server_default="50"),
    Column("rotation_top_n", Integer, nullable=False, server_default="10"),
    Column("rebalance_frequency", String(16), nullable=False, server_default="daily"),
    _text("created_by", 255, nullable=True),
    _time("created_at"),
    _time("updated_at"),
    _money("cash_weight_pct", nullable=True),
    UniqueConstraint("account_id", "name"),
    CheckConstraint(
        "rebalance_frequency IN ('daily', 'weekly', 'monthly')", name="rebalance_frequency"
    ),
)

#: A policy's target weight of one symbol, in percent of equity.
allocation_targets = Table(
    "allocation_targets",
    metadata,
    Column(
        "policy_id",
        Integer,
        ForeignKey("allocation_policies.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("symbol", String(32), primary_key=True),
    _money("weight_pct"),
)

#: One rebalance (the seed's columns plus ``account_id``): the account it started from
#: (``input_snapshot``), the plan (``order_intents``), what was sent (``executed_orders``).
rebalance_runs = Table(
    "rebalance_runs",
    metadata,
    _id(),
    _account_id(),
    Column("policy_id", Integer, ForeignKey("allocation_policies.id", ondelete="SET NULL")),
    _text("trace_id", 64),
    _text("status", 16),
    _text("trigger_type", 16),
    Column("input_snapshot", JSON(), nullable=False),
    Column("order_intents", JSON(), nullable=False),
    Column("executed_orders", JSON(), nullable=True),
    _text("rationale", nullable=True),
    _time("started_at"),
    _time("completed_at", nullable=True),
    CheckConstraint("status IN ('pending', 'running', 'completed', 'failed')", name="status"),
    CheckConstraint("trigger_type IN ('manual', 'scheduled', 'threshold')", name="trigger_type"),
    Index("ix_rebalance_runs_account_id_started_at", "account_id", "started_at"),
)

#: A portfolio snapshot; ``composition`` holds the positions with decimals as strings.
portfolio_snapshots = Table(
    "portfolio_snapshots",
    metadata,
    _id(),
    _account_id(),
    _time("taken_at"),
    _money("equity"),
    _money("last_equity"),
    _money("cash"),
    _money("buying_power"),
    _money("long_market_value"),
    _money("short_market_value"),
    _money("daily_pl"),
    _money("daily_pl_pct", nullable=True),
    _money("unrealized_pl"),
    _money("realized_pl"),
    Column("realized_pl_available", Boolean, nullable=False),
    _money("total_pl"),
    Column("positions_count", Integer, nullable=False),
    Column("long_count", Integer, nullable=False),
    Column("short_count", Integer, nullable=False),
    _text("source_type", 16),
    _text("broker", 32),
    Column("composition", JSON(), nullable=False),
    Index("ix_portfolio_snapshots_account_id_taken_at", "account_id", "taken_at"),
)

#: The simulated account's cash (the demo broker's own state, not the book).
demo_accounts = Table(
    "demo_accounts",
    metadata,
    Column("account_id", String(64), primary_key=True),
    _money("cash"),
)

#: One holding of the simulated account; qty is negative for a short.
demo_holdings = Table(
    "demo_holdings",
    metadata,
    _account_id("demo_accounts.account_id", primary_key=True),
    Column("symbol", String(32), primary_key=True),
    _text("asset_id", 64),
    _text("asset_class", 32),
    _money("qty"),
    _money("avg_entry_price"),
)

#: An order the simulated account received; ``client_order_id`` is unique per account.
demo_orders = Table(
    "demo_orders",
    metadata,
    Column("id", String(64), primary_key=True),
    _text("account_id", 64),
    _text("client_order_id", 128),
    _text("symbol", 32),
    _text("side", 8),
    _text("type", 16),
    _text("status", 32),
    _money("qty", nullable=True),
    _money("notional", nullable=True),
    _money("filled_qty"),
    _money("filled_avg_price", nullable=True),
    _time("submitted_at", nullable=True),
    _time("filled_at", nullable=True),
    UniqueConstraint("account_id", "client_order_id"),
    ForeignKeyConstraint(["account_id"], ["demo_accounts.account_id"], ondelete="CASCADE"),
)

#: One `pm reconcile` (or watch cycle): what it changed, or why it did not run.
reconciliation_runs = Table(
    "reconciliation_runs",
    metadata,
    _id(),
    _account_id(),
    _text("status", 16),
    _text("trigger", 16),
    _time("started_at"),
    _time("finished_at", nullable=True),
    Column("duration_ms", Integer),
    Column("added", Integer, nullable=False),
    Column("removed", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("conflicts", Integer, nullable=False),
    _text("error", nullable=True),
    _text("host", 255, nullable=True),
    Column("pid", Integer),
    Index("ix_reconciliation_runs_account_id_started_at", "account_id", "started_at"),
)

#: A quantity the book and the broker disagreed on, and how it was resolved.
position_conflicts = Table(
    "position_conflicts",
    metadata,
    _id(),
    _account_id(),
    Column("run_id", Integer, ForeignKey("reconciliation_runs.id", ondelete="SET NULL")),
    _text("symbol", 32),
    _text("field", 32),
    _money("db_value", nullable=True),
    _money("broker_value", nullable=True),
    _text("resolution", 32),
    Column("resolved", Boolean, nullable=False),
    _time("detected_at"),
    _time("resolved_at", nullable=True),
    Index("ix_position_conflicts_account_id_detected_at", "account_id", "detected_at"),
)

#: A periodic job of `pm watch` for one account, with its interval and last run.
jobs = Table(
    "jobs",
    metadata,
    _account_id(primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("interval_s", Integer, nullable=False),
    _time("last_run_at", nullable=True),
    _text("last_status", 16, nullable=True),
    _text("last_error", nullable=True),
)

#: A symbol's sector (and industry), imported with `pm sectors import`.
universe_fundamentals = Table(
    "universe_fundamentals",
    metadata,
    Column("symbol", String(32), primary_key=True),
    _text("sector", 64),
    _text("industry", 128, nullable=True),
    _time("updated_at"),
)

#: A risk alert or limit breach, as `pm risk` found it.
alerts = Table(
    "alerts",
    metadata,
    _id(),
    _account_id(),
    _text("level", 16),
    _text("code", 64),
    _text("message"),
    _text("symbol", 32, nullable=True),
    _text("sector", 64, nullable=True),
    _time("created_at"),
    Index("ix_alerts_account_id_created_at", "account_id", "created_at"),
)

#: The trading halt switch of one account: ACTIVE, or HALTED with reason, who and when.
circuit_breakers = Table(
    "circuit_breakers",
    metadata,
    _account_id(primary_key=True),
    _text("state", 16),
    _text("reason", nullable=True),
    _text("changed_by", 255, nullable=True),
    _time("changed_at"),
)

#: A destructive action, written before it reaches the broker and updated with its outcome.
audit_log = Table(
    "audit_log",
    metadata,
    _id(),
    _text("account_id", 64, nullable=True),
    _text("action", 64),
    Column("arguments", JSON(), nullable=False),
    _text("os_user", 255),
    _text("host", 255),
    _time("created_at"),
    _text("outcome", 16),
    Column("outcome_details", JSON(), nullable=True),
    _time("finished_at", nullable=True),
    Index("ix_audit_log_account_id_created_at", "account_id", "created_at"),
)

# -- the trade ledger: pm's orders, every fill, cash activities, how far the sync got ---------

#: One order pm sends, written with its audit row before the broker hears of it. ``status``
#: is pm's view: ``pending`` (written, not yet answered), the broker's status once it
#: answered, or ``unknown`` after an ambiguous failure until a later command settles it.
#: ``status_history`` is a list of ``{"status", "at"}``; ``reason_codes`` the gate's codes.
orders = Table(
    "orders",
    metadata,
    _id(),
    _account_id(),
    _text("client_order_id", 128),
    _text("origin", 32),
    _text("origin_ref", 64, nullable=True),
    Column("audit_id", Integer, ForeignKey("audit_log.id", ondelete="SET NULL")),
    _text("symbol", 32),
    _text("side", 8),
    _money("qty", nullable=True),
    _money("notional", nullable=True),
    _text("order_type", 16),
    _money("limit_price", nullable=True),
    _text("time_in_force", 8),
    _text("status", 32),
    Column("status_history", JSON(), nullable=False),
    _text("broker_order_id", 64, nullable=True),
    _money("filled_qty"),
    _money("filled_avg_price", nullable=True),
    Column("reason_codes", JSON(), nullable=False),
    _time("created_at"),
    _time("submitted_at", nullable=True),
    _time("updated_at"),
    _time("filled_at", nullable=True),
    _money("trail_percent", nullable=True),  # migration 0008: `pm exits --native`
    UniqueConstraint("account_id", "client_order_id"),
    Index("ix_orders_account_id_status", "account_id", "status"),
    Index("ix_orders_account_id_created_at", "account_id", "created_at"),
)

#: One execution. ``fill_id`` is the broker's FILL activity id, or ``order:<broker order id>``
#: for a fill of pm's own order recorded from the order's status before the activity is seen
#: (the activities sync replaces it by the executions it stands for). ``side`` is buy or sell
#: (a ``sell_short`` activity is a sell); ``qty`` and ``price`` are positive.
fills = Table(
    "fills",
    metadata,
    _id(),
    _account_id(),
    _text("fill_id", 128),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="SET NULL")),
    _text("broker_order_id", 64, nullable=True),
    _text("symbol", 32),
    _text("side", 8),
    _money("qty"),
    _money("price"),
    _time("transaction_time"),
    _text("source", 16),
    UniqueConstraint("account_id", "fill_id"),
    # Lots read all of an account's fills in time order; one symbol's (`pm trades --symbol`)
    # are filtered from the same index: a second index would slow every bulk insert.
    Index("ix_fills_account_id_transaction_time", "account_id", "transaction_time"),
)

#: A non-trade activity: deposits (CSD), withdrawals (CSW), journals (JNLC), dividends (DIV),
#: fees (FEE, CFEE), ... ``net_amount`` is signed as the broker reports it.
cash_activities = Table(
    "cash_activities",
    metadata,
    _id(),
    _account_id(),
    _text("activity_id", 128),
    _text("activity_type", 16),
    _text("activity_sub_type", 16, nullable=True),
    Column("date", Date, nullable=False),
    _money("net_amount"),
    _text("symbol", 32, nullable=True),
    _money("qty", nullable=True),
    _money("per_share_amount", nullable=True),
    _text("description", nullable=True),
    _text("status", 16, nullable=True),
    UniqueConstraint("account_id", "activity_id"),
    Index("ix_cash_activities_account_id_date", "account_id", "date"),
)

#: How far the activities sync got for an account: the newest activity id seen of each kind,
#: when it last ran, and what the ledger covers (``covers_from``: the oldest activity
#: imported; ``complete``: whether the account's whole history was imported).
ledger_sync = Table(
    "ledger_sync",
    metadata,
    _account_id(primary_key=True),
    _text("last_fill_id", 128, nullable=True),
    _text("last_cash_id", 128, nullable=True),
    _time("synced_at"),
    _time("covers_from", nullable=True),
    Column("complete", Boolean, nullable=False),
    # The realized P/L of the FIFO lots as last computed, and which fills it was computed
    # from (their count and highest row id: every write of fills inserts a row), so a
    # snapshot recomputes it only after the fills changed.
    _money("realized_pl", nullable=True),
    Column("realized_fills", Integer, nullable=True),
    Column("realized_last_id", Integer, nullable=True),
)

#: The macro series `pm regime` reads (FRED's VIXCLS, T10Y2Y, T10Y3M, UNRATE, or the demo's),
#: one row per observation, with when it was last fetched: a row fetched within
#: ``PM_REGIME_TTL`` is used without asking the source again. ``source`` keeps FRED's values
#: apart from the demo's.
macro_observations = Table(
    "macro_observations",
    metadata,
    Column("source", String(16), primary_key=True),
    Column("series_id", String(32), primary_key=True),
    Column("obs_date", Date, primary_key=True),
    _money("value"),
    _time("fetched_at"),
)

# -- exit rules (`pm exits`, issue 12) --------------------------------------------------------

#: An account's exit rule, ``symbol`` ``*`` for its default, else one symbol's override.
#: ``take_profit`` is a list of ``[gain_pct, share_pct]`` (strings), or NULL for the active
#: policy's default ladder; ``trail_pct`` NULL means no trailing stop.
exit_rules = Table(
    "exit_rules",
    metadata,
    _account_id(primary_key=True),
    Column("symbol", String(32), primary_key=True),
    Column("take_profit", JSON(), nullable=True),
    _money("trail_pct", nullable=True),
    _money("activate_at_pct"),
    _money("breakeven_at_pct"),
    Column("native", Boolean(), nullable=False, server_default=false()),
    _text("updated_by", 128, nullable=True),
    _time("updated_at"),
)

#: One open position's exit state, keyed by its lot history (``position_key``). ``hwm`` is
#: the best price seen (a short's low-water mark), ``executed`` a list of ``{name, at,
#: client_order_id, status, qty}``; ``bars_until`` how far minute bars were read.
#: ``closed_at`` is set when the position is gone (the row stays for the record).
exit_states = Table(
    "exit_states",
    metadata,
    _account_id(primary_key=True),
    Column("position_key", String(32), primary_key=True),
    _text("symbol", 32),
    _text("side", 8),
    _money("entry"),
    _money("original_qty"),
    _money("hwm"),
    _money("stop", nullable=True),
    Column("breakeven", Boolean(), nullable=False, server_default=false()),
    Column("executed", JSON(), nullable=False),
    _time("bars_until"),
    _time("created_at"),
    _time("updated_at"),
    _time("closed_at", nullable=True),
)

#: Every change of an exit state, with its reason ("hwm 231.40 -> 233.10").
exit_events = Table(
    "exit_events",
    metadata,
    _id(),
    _account_id(),
    Column("position_key", String(32), nullable=False),
    _text("symbol", 32),
    _time("at"),
    _text("kind", 16),
    _text("message"),
    Index("ix_exit_events_account_id_at", "account_id", "at"),
)

"""Indexes that need a dialect's own options, kept out of `pm.db.tables` on purpose.

A partial index's ``WHERE`` is spelled per dialect (``sqlite_where``, ``postgresql_where``),
and SQLAlchemy imports a dialect's whole package to check such an option. The commands never
create tables, so they never import this module and never load PostgreSQL's dialect on
SQLite; the migrations' environment and the schema tests import it to see the full schema.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from pm.db.tables import allocation_policies, metadata, positions

OPEN_ROW = text("closed_at IS NULL")

#: At most one open row per account and symbol.
open_position_per_symbol = Index(
    "uq_positions_open_account_id_symbol",
    positions.c.account_id,
    positions.c.symbol,
    unique=True,
    sqlite_where=OPEN_ROW,
    postgresql_where=OPEN_ROW,
)

ACTIVE_POLICY = text("is_active")

#: At most one active allocation policy per account.
one_active_policy_per_account = Index(
    "uq_allocation_policies_active_account_id",
    allocation_policies.c.account_id,
    unique=True,
    sqlite_where=ACTIVE_POLICY,
    postgresql_where=ACTIVE_POLICY,
)

__all__ = ["metadata", "one_active_policy_per_account", "open_position_per_symbol"]

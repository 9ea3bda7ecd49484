"""Indexes that need a dialect's own options, kept out of `pm.db.tables` on purpose.

A partial index's ``WHERE`` is spelled per dialect (``sqlite_where``, ``postgresql_where``),
and SQLAlchemy imports a dialect's whole package to check such an option. The commands never
create tables, so they never import this module and never load PostgreSQL's dialect on
SQLite; the migrations' environment and the schema tests import it to see the full schema.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from pm.db.tables import metadata, positions

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

__all__ = ["metadata", "open_position_per_symbol"]

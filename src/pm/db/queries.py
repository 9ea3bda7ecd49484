"""Query shapes the stores share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Select, Table, select
from sqlalchemy.engine import Connection

from pm.domain.errors import DatabaseError


def newest_first(
    table: Table,
    at: str,
    account_id: str | None,
    *,
    since: datetime | None = None,
    limit: int | None = None,
) -> Select[Any]:
    """Rows of one account (all accounts for None), newest by `at` first, ties by id.

    `since` keeps rows at or after it; `limit` caps the count.
    """
    column = table.c[at]
    query = select(table).order_by(column.desc(), table.c.id.desc())
    if account_id is not None:
        query = query.where(table.c.account_id == account_id)
    if since is not None:
        query = query.where(column >= since)
    if limit is not None:
        query = query.limit(limit)
    return query


def insert_one(conn: Connection, stmt: Insert) -> int:
    """Insert one row and return its new id.

    From inserted_primary_key, not RETURNING: SQLite before 3.35 has no RETURNING.
    """
    (new_id,) = conn.execute(stmt).inserted_primary_key or (None,)
    if new_id is None:
        raise DatabaseError(f"{stmt.table}: the new row's id was not reported")
    return int(new_id)

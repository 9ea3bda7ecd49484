"""Query shapes the stores share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, select


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

"""Query shapes the stores share."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Insert, Select, Table, select
from sqlalchemy.engine import Connection, Row

from pm.domain.errors import DatabaseError, NotFound

T = TypeVar("T")

#: Values per ``IN (...)`` list: one bound parameter each, well under SQLite's limit.
IN_CHUNK = 500


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size`, in order."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


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


def one_of_account(
    conn: Connection, table: Table, account_id: str, row_id: int, missing: str
) -> Row[Any]:
    """The row `row_id` of `table` in one account; NotFound(`missing`) when there is none."""
    row = conn.execute(
        select(table).where(table.c.account_id == account_id, table.c.id == row_id)
    ).one_or_none()
    if row is None:
        raise NotFound(missing)
    return row

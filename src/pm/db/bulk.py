"""Bulk writes at the driver's speed: rows as plain tuples in their stored form, one
``executemany`` per batch.

SQLAlchemy's per-row path sends every value through its column type (`DecimalType`,
`UTCDateTime`) and builds a parameter dict per row; for 100,000 rows that costs as much as the
database's own work. Here the stored form is decided once per batch: a timestamp shared by
the batch (``now``) is converted once, through the column type's own bind processing, and a
Decimal becomes its exact text on SQLite (what `DecimalType` stores) or stays a Decimal for
psycopg. The statement is written once and run through the driver's ``executemany``.
``tests/db/test_bulk.py`` checks that this writes exactly what the per-row path writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

#: A row as the driver receives it.
Row = tuple[Any, ...]


class StoredForm:
    """How this connection's database stores values; built once per batch."""

    def __init__(self, conn: Connection, table: Table) -> None:
        self._conn = conn
        self._table = table
        self.sqlite = conn.dialect.name == "sqlite"
        quote = conn.dialect.identifier_preparer.quote
        self.quote: Callable[[str], str] = quote
        self.mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"

    def decimals(self, values: list[Decimal]) -> list[Any]:
        """A column of Decimals in stored form: their exact text on SQLite (what `DecimalType`
        stores), the Decimals themselves for psycopg. NaN and infinities are refused."""
        require_finite(values)
        return list(map(Decimal.__str__, values)) if self.sqlite else values

    def value(self, column: str, value: Any) -> Any:
        """One value (e.g. the batch's timestamp) converted by its column's own type."""
        dialect = self._conn.dialect
        process = self._table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        return value if process is None else process(value)

    def insert(self, columns: Sequence[str]) -> str:
        names = ", ".join(self.quote(c) for c in columns)
        marks = ", ".join(self.mark for _ in columns)
        return f"INSERT INTO {self.quote(self._table.name)} ({names}) VALUES ({marks})"

    def update(self, columns: Sequence[str], key: str) -> str:
        """``UPDATE ... SET`` the columns ``WHERE`` key; a row is the values, then the key."""
        sets = ", ".join(f"{self.quote(c)} = {self.mark}" for c in columns)
        where = f"{self.quote(key)} = {self.mark}"
        return f"UPDATE {self.quote(self._table.name)} SET {sets} WHERE {where}"


def require_finite(values: Sequence[Decimal]) -> None:
    """Refuse NaN and infinities, as `DecimalType` does, once over a whole batch's values."""
    if not all(map(Decimal.is_finite, values)):
        bad = next(v for v in values if not v.is_finite())
        raise ValueError(f"not a finite number: {bad}")


def executemany(conn: Connection, statement: str, rows: Sequence[Row]) -> None:
    """Run `statement` once per row through the driver's ``executemany``."""
    if rows:
        conn.exec_driver_sql(statement, list(rows))

"""Rows to domain records (fields named like the table's columns), and values to the form
the JSON columns store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Row

from pm.domain.timestamps import iso

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    R = TypeVar("R", bound=DataclassInstance)
else:
    R = TypeVar("R")


def records(cls: type[R], rows: Iterable[Row[Any]]) -> list[R]:
    """One `cls` a row, each field taken from the row's column of the same name (other
    columns are ignored)."""
    names = [f.name for f in fields(cls)]
    return [cls(**{name: getattr(row, name) for name in names}) for row in rows]


def jsonable(value: Any) -> Any:
    """`value` as a JSON column stores it: Decimals as their exact text, times ISO 8601 in UTC
    (never through float, never a type the driver's JSON encoder refuses)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value

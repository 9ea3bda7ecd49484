"""Rows to domain records, for records whose fields are named like the table's columns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Row

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

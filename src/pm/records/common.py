"""Pieces every record uses: the data's source and percent fields to 4 places."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, overload

from pm.domain.models import Source
from pm.domain.money import CENT

_PLACES = Decimal("0.0001")


@overload
def cents(value: Decimal) -> Decimal: ...
@overload
def cents(value: None) -> None: ...
@overload
def cents(value: Decimal | None) -> Decimal | None: ...


def cents(value: Decimal | None) -> Decimal | None:
    """An amount of money to the cent (half-even); None stays None."""
    return None if value is None else value.quantize(CENT)


def pct(value: Decimal | None) -> Decimal | None:
    """A percent field to 4 decimal places (half-even); None stays None."""
    if value is None or not value.is_finite():
        return value
    try:
        return value.quantize(_PLACES)
    except InvalidOperation:  # more digits than the context holds: keep it as it is
        return value


def source(src: Source, age: timedelta | None = None) -> dict[str, Any]:
    """Where the data came from (`live`, `simulated`, `stale`), and when; a stale one's age."""
    data: dict[str, Any] = {"type": src.type, "broker": src.broker, "fetched_at": src.fetched_at}
    if age is not None:
        data["age_seconds"] = int(age.total_seconds())
    return data

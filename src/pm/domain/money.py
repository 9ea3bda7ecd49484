"""Decimal parsing and rounding: money never passes through float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

CENT = Decimal("0.01")
PCT_PLACES = Decimal("0.0001")


def parse_decimal(value: object, field: str = "value") -> Decimal:
    """Parse a wire value (a JSON string, int, or Decimal) to Decimal without float.

    JSON numbers should be decoded with ``parse_float=Decimal`` upstream; a float that still
    arrives here is converted through its shortest repr, never its binary expansion.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f"{field}: expected a number, got a boolean")
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{field}: not a number: {value!r}") from None
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        raise ValueError(f"{field}: expected a number, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{field}: not a finite number: {value!r}")
    return result


def parse_optional_decimal(value: object, field: str = "value") -> Decimal | None:
    """Like `parse_decimal`, but the wire's null (and empty string) mean "not set"."""
    if value is None or value == "":
        return None
    return parse_decimal(value, field)


def pct(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole in percent units (5.0 means 5 %), to 4 places; None when whole is zero."""
    if whole == 0:
        return None
    return round_pct(part / whole * 100)


def round_pct(value: Decimal) -> Decimal:
    """A percentage to 4 places, half to even: how every `*_pct` is written."""
    return value.quantize(PCT_PLACES, rounding=ROUND_HALF_EVEN)

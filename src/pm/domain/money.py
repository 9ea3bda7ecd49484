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


#: A number a person types is smaller than this (a quadrillion shares, coins or dollars) and
#: has at most MAX_INPUT_PLACES decimals (Alpaca's finest quantity); beyond is a typo.
MAX_INPUT = Decimal("1e15")
MAX_INPUT_PLACES = 9


def parse_input(text: str, field: str) -> Decimal:
    """A number typed by a person, checked for range; ValueError says what is wrong."""
    shown = text if len(text) <= 24 else text[:23] + "…"
    try:
        value = parse_decimal(text.strip(), field)
    except ValueError:
        raise ValueError(f"{field} {shown!r} is not a number") from None
    if abs(value) >= MAX_INPUT:
        raise ValueError(f"{field} {shown} is out of range (at most 15 digits before the point)")
    places = value.normalize().as_tuple().exponent  # trailing zeros do not count
    if isinstance(places, int) and places < -MAX_INPUT_PLACES:
        raise ValueError(f"{field} {shown} has more than {MAX_INPUT_PLACES} decimal places")
    return value


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

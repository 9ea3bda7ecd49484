"""Pydantic's validation errors (settings, and Typer's option parsing) said in pm's words.

Pydantic's own text ("Input should be a valid integer, unable to parse string as an
integer", "Value error, ...") is the library talking; a user gets one short phrase instead,
with the offending value quoted and cut to a readable length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MAX_SHOWN = 40

_PHRASES: dict[str, str] = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "decimal_parsing": "must be a number",
    "decimal_type": "must be a number",
    "finite_number": "must be a finite number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "missing": "is required",
    "extra_forbidden": "is not a known setting",
}
_BOUNDS: dict[str, tuple[str, str]] = {
    "greater_than": ("gt", "must be greater than {}"),
    "greater_than_equal": ("ge", "must be at least {}"),
    "less_than": ("lt", "must be less than {}"),
    "less_than_equal": ("le", "must be at most {}"),
}


def shown(value: object) -> str:
    """`value` for a message (text quoted), cut to MAX_SHOWN characters."""
    text = str(value)
    if len(text) > MAX_SHOWN:
        text = text[: MAX_SHOWN - 1] + "…"
    return repr(text) if isinstance(value, str) else text


def phrase(error: Mapping[str, Any], *, choices: Iterable[str] = (), secret: bool = False) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as "must be ..., got 'x'".

    `choices` names the allowed values of a choice option; `secret` leaves the value out.
    """
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    allowed = list(choices)
    if allowed:
        text = "must be one of " + ", ".join(allowed)
    elif kind in _BOUNDS:
        key, template = _BOUNDS[kind]
        bound = ctx.get(key)
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)  # "at most 600", not "600.0"
        text = template.format(bound)
    elif kind in ("literal_error", "enum"):
        text = f"must be {ctx.get('expected')}"
    elif kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])  # our own validators' messages are already pm's words
    else:
        text = _PHRASES.get(kind, "is not valid")
    value = error.get("input")
    if secret or not isinstance(value, str | int | float) or kind == "missing":
        return text
    return f"{text}, got {shown(value)}"

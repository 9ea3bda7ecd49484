"""Writing data to stdout (JSON, CSV, Rich) and messages to stderr. Nothing else prints."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pm.domain.timestamps import iso

if TYPE_CHECKING:
    from rich.console import Console


def number(value: Decimal) -> str:
    """A Decimal's own digits, in positional notation (never via float)."""
    return format(value, "f")


def json_text(value: Any) -> str:
    """JSON where Decimals are numbers written from their decimal text, times ISO with Z."""
    import json

    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(k))}: {json_text(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(json_text(v) for v in value) + "]"
    if isinstance(value, Decimal):
        if not value.is_finite():
            return "null"
        return number(value)
    if isinstance(value, datetime):
        return json.dumps(iso(value))
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    return json.dumps(value)


def print_json(value: Any) -> None:
    sys.stdout.write(json_text(value) + "\n")
    sys.stdout.flush()


def cell(value: Any) -> str:
    """A value as CSV or table text."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def print_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    sys.stdout.flush()


def stdout_console() -> Console:
    """Rich console for data; Rich itself honours NO_COLOR and drops colour off a terminal.

    Off a terminal (a pipe, a file) Rich would assume 80 columns and squeeze numbers into
    ellipses; there the table gets the room it needs instead.
    """
    from rich.console import Console

    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 200
    return Console(highlight=False, width=width)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def warn(message: str) -> None:
    """A human warning on stderr (never stdout, so pipelines stay clean)."""
    stderr_console().print(f"[bold yellow]warning:[/] {message}", markup=True, highlight=False)

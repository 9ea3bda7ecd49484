"""Data as text: numbers, JSON, JSON Lines and CSV on stdout (the Terminal decides which)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pm.domain.timestamps import iso


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


def print_jsonl(records: Iterable[Mapping[str, Any]]) -> None:
    """One JSON object per line (JSON Lines), flushed as each is written."""
    for record in records:
        sys.stdout.write(json_text(record) + "\n")
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

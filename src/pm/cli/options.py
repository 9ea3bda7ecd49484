"""Options shared by several commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from pm.domain.errors import BadInput


def _note_json(ctx: typer.Context, value: bool) -> bool:
    """Remember --json so that an error, too, is written as a JSON object."""
    if value and ctx.obj is not None:
        ctx.obj.json_output = True
    return value


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON to stdout.", callback=_note_json)]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Print CSV to stdout.")]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="At most this many rows.")]


def parse_since(text: str) -> datetime:
    """An ISO date or time (UTC unless it says otherwise), or an age like 7d, 12h, 30m."""
    now = datetime.now(UTC)
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text[-1:] in units and text[:-1].isdigit():
        return now - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date (2026-11-01), an ISO time or an age (7d, 12h, 30m)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


SinceOpt = Annotated[
    datetime | None,
    typer.Option(
        "--since",
        parser=parse_since,
        metavar="WHEN",
        help="Only at or after WHEN (2026-11-01, an ISO time, or 7d/12h/30m).",
    ),
]


def decimal_arg(text: str | None) -> Decimal | None:
    """A number option given as text (``--qty 1.5``) as Decimal, never via float."""
    if text is None:
        return None
    from pm.domain.money import parse_decimal

    try:
        return parse_decimal(text.strip())
    except ValueError:
        raise typer.BadParameter(f"not a number: {text!r}") from None


def read_text_file(path: Path) -> str:
    """A text file the user named; a missing or unreadable one is bad input (exit 2)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read it ({exc.__class__.__name__})") from None

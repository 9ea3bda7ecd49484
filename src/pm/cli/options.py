"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pm.domain.errors import BadInput
from pm.validation_text import shown

if TYPE_CHECKING:
    from pm.cli.terminal import Format


def _output(fmt: Format, flag: str) -> Callable[[typer.Context, bool], bool]:
    """The callback of an output option: tells the Terminal, which refuses two formats."""

    def choose(ctx: typer.Context, value: bool) -> bool:
        terminal = getattr(ctx.obj, "terminal", None)
        if value and terminal is not None:
            terminal.choose(fmt, flag)
        return value

    return choose


# The output formats, the same three options for every command (lists take all three).
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print JSON to stdout.", callback=_output("json", "--json"))
]
CsvOpt = Annotated[
    bool, typer.Option("--csv", help="Print CSV to stdout.", callback=_output("csv", "--csv"))
]
JsonlOpt = Annotated[
    bool,
    typer.Option(
        "--jsonl",
        help="Print one JSON object per line to stdout.",
        callback=_output("jsonl", "--jsonl"),
    ),
]
MAX_ROWS = 1_000_000
MAX_ROW_ID = 2**63 - 1  # the largest id a database row can have (BIGINT, SQLite INTEGER)
LimitOpt = Annotated[
    int | None, typer.Option("--limit", min=1, max=MAX_ROWS, help="At most this many rows.")
]
IdArg = Annotated[
    int, typer.Argument(metavar="ID", min=1, max=MAX_ROW_ID, help="The row id (see the list).")
]


def parse_since(text: str) -> datetime:
    """An ISO date or time (UTC unless it says otherwise), or an age like 7d, 12h, 30m."""
    now = datetime.now(UTC)
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text[-1:] in units and text[:-1].isdigit():
        try:
            return now - timedelta(**{units[text[-1]]: int(text[:-1])})
        except (OverflowError, ValueError):
            raise typer.BadParameter(f"{shown(text)} reaches back before the year 1") from None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{shown(text)} is not a date (2026-11-01), an ISO time or an age (7d, 12h, 30m)"
        ) from None
    try:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:
        raise typer.BadParameter(f"{shown(text)} is outside the years 1 to 9999 in UTC") from None


SinceOpt = Annotated[
    datetime | None,
    typer.Option(
        "--since",
        parser=parse_since,
        metavar="WHEN",
        help="Only at or after WHEN (2026-11-01, an ISO time, or 7d/12h/30m).",
    ),
]


def decimal_arg(text: str | None, option: str) -> Decimal | None:
    """A number option given as text (``--qty 1.5``) as Decimal, never via float, and within
    the range a person could mean (`pm.domain.money.parse_input`)."""
    if text is None:
        return None
    from pm.domain.money import parse_input

    try:
        return parse_input(text, option)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def read_text_file(path: Path) -> str:
    """A text file the user named; a missing or unreadable one is bad input (exit 2)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read it ({exc.__class__.__name__})") from None

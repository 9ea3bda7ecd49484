"""Pieces several views share: the source label, times, and signed money in colour."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from pm.cli.output import number
from pm.domain.timestamps import iso

if TYPE_CHECKING:
    from pm.domain.models import Source  # not at run time: `pm config show` needs no models


def markup_escaped(text: str) -> str:
    """Text from data (a reason, a message) made safe inside Rich markup."""
    from rich.markup import escape

    return escape(text)


def when(moment: datetime | None) -> str:
    """A time in a table: ISO 8601 UTC with Z, to the second; '' for none."""
    return "" if moment is None else iso(moment.replace(microsecond=0))


def source_line(source: Source) -> str:
    return f"{source.type} from {source.broker} at {when(source.fetched_at)}"


def money(value: Decimal, *, signed: bool = False) -> str:
    """Cents with thousands separators; red/green when the sign matters."""
    text = f"{value:,.2f}"
    if not signed:
        return text
    if value > 0:
        return f"[green]+{text}[/]"
    return f"[red]{text}[/]" if value < 0 else text


def percent(value: Decimal | None) -> str:
    if value is None:
        return "n/a"
    text = f"{value:+.2f} %"
    return f"[green]{text}[/]" if value > 0 else f"[red]{text}[/]" if value < 0 else text


def quantity(value: Decimal) -> str:
    return number(value.normalize())


def humane_age(age: timedelta) -> str:
    """ "2d 3h", "5h 12m", "4m 10s": coarse enough to read at a glance."""
    seconds = max(0, int(age.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0s"

"""The market's time zone, in one place: trade dates and market hours are New York's.

A crypto fill at 02:00 UTC is the previous day's trade; session open and close are New York
wall-clock times.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

MARKET_TZ = ZoneInfo("America/New_York")


def trade_date(moment: datetime) -> date:
    """The New York calendar date of `moment` (a trade's date for tax purposes)."""
    return moment.astimezone(MARKET_TZ).date()

"""NYSE-like regular hours for the demo: 9:30-16:00 America/New_York, Monday to Friday.

Holidays and early closes are not modelled: every weekday is a full trading day. All returned
datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from pm.domain.market_calendar import MARKET_TZ
from pm.domain.models import MarketClock, TradingDay

OPEN_TIME = time(9, 30)
CLOSE_TIME = time(16, 0)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5


def session(day: date) -> TradingDay:
    """The regular session of `day` (which should be a weekday), in UTC."""
    open_ = datetime.combine(day, OPEN_TIME, tzinfo=MARKET_TZ).astimezone(UTC)
    close = datetime.combine(day, CLOSE_TIME, tzinfo=MARKET_TZ).astimezone(UTC)
    return TradingDay(date=day, open=open_, close=close)


def _next_trading_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


def market_clock(now: datetime) -> MarketClock:
    """Whether the demo market is open at `now`, and its next open and close."""
    now = as_utc(now)
    local_day = now.astimezone(MARKET_TZ).date()
    today = session(local_day) if is_trading_day(local_day) else None
    if today is not None and today.open <= now < today.close:
        following = session(_next_trading_day(local_day))
        return MarketClock(
            timestamp=now, is_open=True, next_open=following.open, next_close=today.close
        )
    if today is not None and now < today.open:
        upcoming = today
    else:
        upcoming = session(_next_trading_day(local_day))
    return MarketClock(
        timestamp=now, is_open=False, next_open=upcoming.open, next_close=upcoming.close
    )


def calendar(start: date, end: date) -> list[TradingDay]:
    """Every weekday from `start` to `end` inclusive, with its regular session."""
    days: list[TradingDay] = []
    day = start
    while day <= end:
        if is_trading_day(day):
            days.append(session(day))
        day += timedelta(days=1)
    return days

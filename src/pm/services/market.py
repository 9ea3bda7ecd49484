"""`pm market`: is the market open, when does it next open and close, and today's session.

From the broker's clock and calendar (Alpaca's `/v2/clock` and `/v2/calendar`, or the demo's
own hours), so `pm market`, validation and the rebalancer agree on one answer. "Today" is the
exchange's date (America/New_York) at the broker's timestamp. A session that closes before
16:00 New York time is an early close (the day after Thanksgiving, Christmas Eve, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from pm.domain.errors import PmError
from pm.domain.market_calendar import MARKET_TZ, trade_date
from pm.domain.models import MarketClock, Source, TradingDay
from pm.ports import Broker, Clock
from pm.services.live import source_of

REGULAR_CLOSE = time(16, 0)
#: How far ahead to look for the next session (long enough for any run of holidays).
LOOKAHEAD = timedelta(days=10)


@dataclass(frozen=True, slots=True)
class Session:
    """One trading day's regular session (UTC times) and whether it closes early."""

    date: date
    open: datetime
    close: datetime
    early_close: bool


@dataclass(frozen=True, slots=True)
class MarketStatus:
    is_open: bool
    timestamp: datetime
    next_open: datetime
    next_close: datetime
    session: Session | None  # today's session; None on a weekend or holiday
    next_session: Session | None  # the first session after today's
    source: Source


def session_of(day: TradingDay) -> Session:
    local_close = day.close.astimezone(MARKET_TZ).time()
    return Session(day.date, day.open, day.close, early_close=local_close < REGULAR_CLOSE)


def market_date(moment: datetime) -> date:
    """The exchange's calendar date at `moment`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return trade_date(moment)


def status(broker: Broker, clock: Clock) -> MarketStatus:
    """The broker's clock, and the calendar from today for today's and the next session."""
    now = broker.get_clock()
    today = market_date(now.timestamp)
    days = sorted(broker.get_calendar(today, today + LOOKAHEAD), key=lambda d: d.date)
    session = next((session_of(d) for d in days if d.date == today), None)
    following = next((session_of(d) for d in days if d.date > today), None)
    return MarketStatus(
        is_open=now.is_open,
        timestamp=now.timestamp,
        next_open=now.next_open,
        next_close=now.next_close,
        session=session,
        next_session=following,
        source=source_of(broker, clock),
    )


def clock_or_none(broker: Broker) -> MarketClock | None:
    """The broker's clock for validation and rebalancing (one request); None when it cannot be
    read: market hours never stop an order at Alpaca (it queues it), so an unreadable clock
    only leaves the market-hours note out."""
    try:
        return broker.get_clock()
    except PmError:
        return None

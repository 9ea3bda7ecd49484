from __future__ import annotations

from datetime import UTC, date, datetime

from pm.broker.demo.broker import DemoBroker
from pm.broker.demo.market_hours import market_clock

from .fakes import FixedClock, MemoryStore


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_open_on_a_weekday_morning() -> None:
    # Wednesday 2025-03-12 10:15 New York (EDT, UTC-4) is 14:15 UTC.
    clock = market_clock(utc(2025, 3, 12, 14, 15))
    assert clock.is_open
    assert clock.next_close == utc(2025, 3, 12, 20, 0)
    assert clock.next_open == utc(2025, 3, 13, 13, 30)
    assert clock.timestamp.tzinfo is UTC


def test_closed_before_the_open_opens_today() -> None:
    clock = market_clock(utc(2025, 3, 12, 13, 29))
    assert not clock.is_open
    assert clock.next_open == utc(2025, 3, 12, 13, 30)
    assert clock.next_close == utc(2025, 3, 12, 20, 0)


def test_closed_at_the_close() -> None:
    clock = market_clock(utc(2025, 3, 12, 20, 0))
    assert not clock.is_open
    assert clock.next_open == utc(2025, 3, 13, 13, 30)


def test_friday_evening_opens_monday() -> None:
    clock = market_clock(utc(2025, 3, 14, 21, 0))
    assert not clock.is_open
    assert clock.next_open == utc(2025, 3, 17, 13, 30)
    assert clock.next_close == utc(2025, 3, 17, 20, 0)


def test_closed_on_the_weekend() -> None:
    clock = market_clock(utc(2025, 3, 15, 15, 0))
    assert not clock.is_open
    assert clock.next_open == utc(2025, 3, 17, 13, 30)


def test_winter_time_offsets() -> None:
    # 2025-01-08 is EST (UTC-5): the session is 14:30-21:00 UTC.
    clock = market_clock(utc(2025, 1, 8, 14, 30))
    assert clock.is_open
    assert clock.next_close == utc(2025, 1, 8, 21, 0)


def test_calendar_lists_weekdays_with_sessions() -> None:
    broker = DemoBroker(MemoryStore(), FixedClock(utc(2025, 3, 12, 15)))
    days = broker.get_calendar(date(2025, 3, 7), date(2025, 3, 11))
    assert [d.date for d in days] == [date(2025, 3, 7), date(2025, 3, 10), date(2025, 3, 11)]
    # DST began on 2025-03-09: Friday's open is 14:30 UTC, Monday's 13:30 UTC.
    assert days[0].open == utc(2025, 3, 7, 14, 30)
    assert days[1].open == utc(2025, 3, 10, 13, 30)
    assert days[1].close == utc(2025, 3, 10, 20, 0)


def test_broker_clock_uses_the_injected_clock() -> None:
    store = MemoryStore()
    broker = DemoBroker(store, FixedClock(utc(2025, 3, 15, 15)))
    assert not broker.get_clock().is_open
    assert store.saves == []

"""`services.market` on the demo's hours and on Alpaca's clock and calendar (a fake Alpaca)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from pm.broker.alpaca.adapter import AlpacaBroker
from pm.broker.demo.market_hours import calendar, market_clock
from pm.services import market
from tests.support.clocks import FakeClock, UtcClock
from tests.support.fake_alpaca import FakeAlpaca, Reply, payload


class HoursOnly:
    """The demo's hours as a broker (only what `market.status` asks)."""

    name = "demo"
    simulated = True

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def get_clock(self):  # type: ignore[no-untyped-def]
        return market_clock(self.clock.now())

    def get_calendar(self, start: date, end: date):  # type: ignore[no-untyped-def]
        return calendar(start, end)


@pytest.fixture
def alpaca() -> Iterator[AlpacaBroker]:
    with FakeAlpaca() as srv:
        yield AlpacaBroker(api_key="k", secret_key="s", base_url=srv.base_url, clock=UtcClock())


def test_alpaca_open_day(alpaca: AlpacaBroker) -> None:
    m = market.status(alpaca, UtcClock())
    assert m.is_open
    assert m.session is not None
    assert m.session.date == date(2024, 11, 25)
    assert m.session.close == datetime(2024, 11, 25, 21, 0, tzinfo=UTC)
    assert not m.session.early_close
    assert m.next_session is not None
    assert m.next_session.date == date(2024, 11, 26)


def test_alpaca_holiday_then_an_early_close() -> None:
    with FakeAlpaca() as srv:
        srv.script(Reply(200, payload("trading/clock_closed")), path="/v2/clock")
        broker = AlpacaBroker(api_key="k", secret_key="s", base_url=srv.base_url, clock=UtcClock())
        m = market.status(broker, UtcClock())
    assert not m.is_open
    assert m.session is None  # Thanksgiving 2024-11-28
    assert m.next_session is not None
    assert m.next_session.date == date(2024, 11, 29)
    assert m.next_session.early_close  # 13:00 New York
    assert m.next_close == datetime(2024, 11, 29, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "is_open", "today"),
    [
        (datetime(2026, 3, 2, 14, 29, tzinfo=UTC), False, date(2026, 3, 2)),  # Mon 9:29 NY
        (datetime(2026, 3, 2, 14, 30, tzinfo=UTC), True, date(2026, 3, 2)),
        (datetime(2026, 3, 2, 21, 0, tzinfo=UTC), False, date(2026, 3, 2)),  # 16:00: closed
        (datetime(2026, 3, 7, 15, 0, tzinfo=UTC), False, None),  # Saturday
        (datetime(2026, 3, 3, 2, 0, tzinfo=UTC), False, date(2026, 3, 2)),  # Mon 21:00 NY
    ],
)
def test_demo_hours(now: datetime, is_open: bool, today: date | None) -> None:
    clock = FakeClock(now)
    m = market.status(HoursOnly(clock), clock)  # type: ignore[arg-type]
    assert m.is_open is is_open
    assert (m.session.date if m.session else None) == today
    assert m.next_session is not None
    assert m.next_session.date > (today or now.date())
    assert m.source.type == "simulated"

"""The demo's macro series: a deterministic function of the date, weekdays for daily series."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pm.broker.demo.macro import DemoMacro, series
from pm.domain.regime import SERIES, MacroInputs, classify, emergency_reason
from tests.support.clocks import FakeClock


def test_same_date_same_values_and_no_weekends() -> None:
    a = DemoMacro(FakeClock(datetime(2026, 11, 29, 9, tzinfo=UTC))).observations("VIXCLS")
    b = DemoMacro(FakeClock(datetime(2026, 11, 29, 23, tzinfo=UTC))).observations("VIXCLS")
    assert a == b
    assert a[-1].date == date(2026, 11, 27)  # Sunday: the last value is Friday's
    assert all(o.date.weekday() < 5 for o in a)
    unrate = series("UNRATE", date(2026, 11, 29))
    assert [o.date.day for o in unrate] == [1, 1, 1]


def test_a_year_of_demo_regimes_never_trips_the_emergency_stop() -> None:
    seen = set()
    for n in range(365):
        day = date(2026, 1, 1) + timedelta(days=n)
        latest = {s: series(s, day)[-1] for s in SERIES}
        inputs = MacroInputs.from_latest(latest)
        seen.add(classify(inputs).regime)
        assert emergency_reason(inputs, Decimal(35)) is None
    assert {"bullish", "sideways", "bearish"} <= seen  # the demo shows the regimes change
    assert DemoMacro(FakeClock()).observations("NOPE") == []

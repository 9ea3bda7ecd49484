"""The shared clock and demo store under the names the demo broker's tests use, and `at`."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.clocks import FakeClock as FixedClock
from tests.support.memory import MemoryDemoStore as MemoryStore

__all__ = ["FixedClock", "MemoryStore", "at"]


def at(year: int, month: int, day: int, hour: int = 15, minute: int = 0) -> datetime:
    """A UTC moment (15:00 UTC is 10:00 or 11:00 in New York)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)

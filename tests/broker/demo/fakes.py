"""Moments for the demo broker's tests (the clock and store are in tests/support)."""

from __future__ import annotations

from datetime import UTC, datetime


def at(year: int, month: int, day: int, hour: int = 15, minute: int = 0) -> datetime:
    """A UTC moment (15:00 UTC is 10:00 or 11:00 in New York)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)

"""Clocks for tests: one the test controls, and real UTC time for adapters that stamp it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


@dataclass
class FakeClock:
    """Stands at `at`; with a `step`, moves that far after each reading (never stands still,
    so rows written one after the other get distinct times)."""

    at: datetime = T0
    step: timedelta = timedelta(0)

    def now(self) -> datetime:
        current = self.at
        self.at += self.step
        return current

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


class UtcClock:
    """Real time, timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def stepping(at: datetime = T0) -> FakeClock:
    """A FakeClock that moves 1 ms after each reading."""
    return FakeClock(at, timedelta(milliseconds=1))

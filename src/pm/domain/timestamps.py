"""How times are written everywhere: ISO 8601 in UTC with a Z."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """`2026-11-24T13:31:27.595597Z`; an aware time in another zone is converted to UTC."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

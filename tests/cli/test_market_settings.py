"""The settings of `pm regime` and `pm size`: defaults, durations, bad values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.cli.conftest import PmRunner


def _setting(pm: PmRunner, name: str) -> object:
    return pm("config", "show", "--json").json()["settings"][name]["value"]


def test_defaults(pm: PmRunner) -> None:
    assert _setting(pm, "FRED_API_URL") == "https://api.stlouisfed.org"
    assert _setting(pm, "PM_REGIME_TTL") == Decimal(300)
    assert _setting(pm, "PM_EMERGENCY_VIX") == Decimal(35)
    assert _setting(pm, "PM_KELLY_FRACTION") == Decimal("0.25")


def test_ttl_takes_a_duration(pm: PmRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PM_REGIME_TTL", "5m")
    assert _setting(pm, "PM_REGIME_TTL") == Decimal(300)


@pytest.mark.parametrize(
    ("name", "value"),
    [("FRED_API_URL", "ftp://x"), ("PM_EMERGENCY_VIX", "-1"), ("PM_KELLY_FRACTION", "2")],
)
def test_bad_values_exit_2(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    result = pm("--demo", "regime")
    assert result.code == 2
    assert name in result.stderr

"""The regime rules at and around every threshold, and the emergency stop's reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pm.domain.regime import MacroInputs, Observation, classify, emergency_reason

D = date(2024, 12, 6)


def inputs(vix: str | None, spread: str | None, spread_3m: str | None = None) -> MacroInputs:
    def obs(series: str, value: str | None) -> Observation | None:
        return None if value is None else Observation(series, D, Decimal(value))

    return MacroInputs(
        vix=obs("VIXCLS", vix),
        spread_10y2y=obs("T10Y2Y", spread),
        spread_10y3m=obs("T10Y3M", spread_3m),
    )


@pytest.mark.parametrize(
    ("vix", "spread", "regime", "multiplier"),
    [
        ("30.01", "0.50", "volatile", "0.6"),
        ("30.01", "-0.50", "volatile", "0.6"),  # volatile fires before bearish
        ("30", "0.50", "sideways", "0.75"),  # 30 is not above 30
        ("29.99", "0.50", "sideways", "0.75"),
        ("20", "-0.01", "bearish", "0.5"),
        ("14.99", "-0.01", "bearish", "0.5"),  # bearish fires before bullish
        ("20", "0", "sideways", "0.75"),  # 0 is not negative
        ("14.99", "0.01", "bullish", "1.25"),
        ("15", "0.01", "sideways", "0.75"),  # 15 is not below 15
        ("15.01", "0.01", "sideways", "0.75"),
        ("14.99", "0", "sideways", "0.75"),  # bullish needs a positive spread
        ("12.77", "0.05", "bullish", "1.25"),  # the FRED reference payloads
        (None, None, "unknown", "1.0"),
        ("20", None, "unknown", "1.0"),
        ("14", None, "unknown", "1.0"),
        (None, "0.5", "unknown", "1.0"),
        (None, "-0.5", "bearish", "0.5"),  # an inverted curve needs no VIX
        ("31", None, "volatile", "0.6"),  # nor does VIX > 30 need a spread
    ],
)
def test_rule_table(vix: str | None, spread: str | None, regime: str, multiplier: str) -> None:
    call = classify(inputs(vix, spread))
    assert call.regime == regime
    assert call.multiplier == Decimal(multiplier)
    assert call.reasons


def test_the_10y3m_spread_stands_in_when_10y2y_is_missing() -> None:
    call = classify(inputs("20", None, "-0.20"))
    assert call.regime == "bearish"
    assert "10y-3m spread -0.20" in call.reasons[0]
    assert classify(inputs("20", "0.10", "-0.20")).regime == "sideways"  # 10y-2y first


def test_reasons_name_the_numbers_and_dates() -> None:
    call = classify(inputs("32.5", "0.1"))
    assert call.rule == "VIX > 30"
    assert call.reasons == ("VIX 32.50 > 30 (2024-12-06)",)


@pytest.mark.parametrize(
    ("vix", "expected"),
    [("35", None), ("34.99", None), ("35.01", "VIX 35.01 > 35"), ("36.2", "VIX 36.20 > 35")],
)
def test_emergency_reason(vix: str, expected: str | None) -> None:
    assert emergency_reason(inputs(vix, "0.1"), Decimal(35)) == expected
    assert emergency_reason(inputs(None, "0.1"), Decimal(35)) is None


def test_emergency_limit_is_printed_as_given() -> None:
    assert emergency_reason(inputs("40", None), Decimal("37.5")) == "VIX 40.00 > 37.5"

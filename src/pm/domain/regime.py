"""The market regime from macro data, and the emergency stop (`pm regime`).

The product's rules, in order (the first that applies fires):

1. ``volatile`` when VIX > 30 (multiplier 0.6);
2. ``bearish`` when the yield spread is negative (0.5);
3. ``bullish`` when VIX < 15 and the yield spread is positive (1.25);
4. ``sideways`` otherwise (0.75);
5. ``unknown`` when the inputs a rule needs are missing (1.0).

"The yield spread" is the 10-year minus 2-year Treasury spread (FRED ``T10Y2Y``); when that
series has no value, the 10-year minus 3-month spread (``T10Y3M``) stands in for it.
Unemployment (``UNRATE``) is shown, not used by the rules.

The emergency stop is separate: VIX above ``PM_EMERGENCY_VIX`` (35) halts trading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

VIX = "VIXCLS"
SPREAD_10Y2Y = "T10Y2Y"
SPREAD_10Y3M = "T10Y3M"
UNEMPLOYMENT = "UNRATE"
SERIES: tuple[str, ...] = (VIX, SPREAD_10Y2Y, SPREAD_10Y3M, UNEMPLOYMENT)

VOLATILE_VIX = Decimal(30)
BULLISH_VIX = Decimal(15)

Regime = Literal["bullish", "bearish", "sideways", "volatile", "unknown"]

MULTIPLIERS: dict[Regime, Decimal] = {
    "bullish": Decimal("1.25"),
    "bearish": Decimal("0.5"),
    "sideways": Decimal("0.75"),
    "volatile": Decimal("0.6"),
    "unknown": Decimal("1.0"),
}


@dataclass(frozen=True, slots=True)
class Observation:
    """One value of a macro series on its date (FRED's "." values never become one)."""

    series_id: str
    date: date
    value: Decimal


@dataclass(frozen=True, slots=True)
class MacroInputs:
    """The latest observation of each series the regime reads; None when there is none."""

    vix: Observation | None = None
    spread_10y2y: Observation | None = None
    spread_10y3m: Observation | None = None
    unemployment: Observation | None = None

    @classmethod
    def from_latest(cls, latest: dict[str, Observation]) -> MacroInputs:
        return cls(
            vix=latest.get(VIX),
            spread_10y2y=latest.get(SPREAD_10Y2Y),
            spread_10y3m=latest.get(SPREAD_10Y3M),
            unemployment=latest.get(UNEMPLOYMENT),
        )

    @property
    def spread(self) -> Observation | None:
        """The yield spread the rules use: 10y-2y, else 10y-3m."""
        return self.spread_10y2y or self.spread_10y3m


@dataclass(frozen=True, slots=True)
class RegimeCall:
    """Which regime, by which rule, and why."""

    regime: Regime
    rule: str
    reasons: tuple[str, ...]

    @property
    def multiplier(self) -> Decimal:
        return MULTIPLIERS[self.regime]


def _num(value: Decimal) -> str:
    return f"{value:.2f}"


def classify(inputs: MacroInputs) -> RegimeCall:
    """The regime of `inputs` by the rules above; never guesses a missing number."""
    vix, spread = inputs.vix, inputs.spread
    spread_name = (
        "10y-2y spread" if spread is not None and spread is inputs.spread_10y2y else "10y-3m spread"
    )
    if vix is not None and vix.value > VOLATILE_VIX:
        return RegimeCall(
            "volatile", "VIX > 30", (f"VIX {_num(vix.value)} > {VOLATILE_VIX} ({vix.date})",)
        )
    if spread is not None and spread.value < 0:
        return RegimeCall(
            "bearish",
            "yield spread < 0",
            (f"{spread_name} {_num(spread.value)} < 0 ({spread.date}): inverted curve",),
        )
    missing = [name for name, obs in (("VIX", vix), ("yield spread", spread)) if obs is None]
    if vix is None or spread is None:
        return RegimeCall("unknown", "no data", tuple(f"no {name} data" for name in missing))
    if vix.value < BULLISH_VIX and spread.value > 0:
        return RegimeCall(
            "bullish",
            "VIX < 15 and yield spread > 0",
            (
                f"VIX {_num(vix.value)} < {BULLISH_VIX} ({vix.date})",
                f"{spread_name} {_num(spread.value)} > 0 ({spread.date})",
            ),
        )
    why = (
        f"VIX {_num(vix.value)} is between {BULLISH_VIX} and {VOLATILE_VIX}"
        if vix.value >= BULLISH_VIX
        else f"VIX {_num(vix.value)} < {BULLISH_VIX} but the {spread_name} is 0"
    )
    return RegimeCall(
        "sideways",
        "otherwise",
        (f"{why} ({vix.date})", f"{spread_name} {_num(spread.value)} ({spread.date})"),
    )


def emergency_reason(inputs: MacroInputs, limit: Decimal) -> str | None:
    """ "VIX 36.20 > 35" when VIX is above the emergency limit; None otherwise."""
    vix = inputs.vix
    if vix is None or vix.value <= limit:
        return None
    return f"VIX {_num(vix.value)} > {limit.normalize():f}"

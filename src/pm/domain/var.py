"""Value at Risk and expected shortfall on numpy float64 (statistics, not money).

Conventions (documented in the README):

- Inputs are a returns matrix ``R`` (positions x days, simple daily returns) and today's
  signed market values ``v`` (one per position). The portfolio's P/L on day t, had today's
  positions been held, is ``(v @ R)[t]``; losses are its negation. No N x N covariance
  matrix is ever built: the portfolio variance is ``var(v @ R)``.
- Historical, with T days and level a: the tail mass is ``m = T * (1 - a)`` days (12.6 of 252
  at 95 %, 2.52 at 99 %) and ``k = ceil(m)``. VaR is the k-th largest loss. CVaR is the
  standard expected-shortfall estimator (Rockafellar and Uryasev; Acerbi and Tasche): the
  floor(m) largest losses in full, plus the next one weighted by the fraction m - floor(m),
  divided by m. When m is whole that is the mean of the m largest losses; at 252 days and 95 %
  it is (L1 + ... + L12 + 0.6 L13) / 12.6. So CVaR >= VaR and VaR99 >= VaR95 by construction.
- The calendar: equities have returns on their trading days only; crypto trades every day.
  With any equity held, every series is sampled on the equities' trading days (crypto's close
  as of each of those days, so a weekend's crypto move lands on Monday), never on weekend
  days where the equities would show made-up zero returns; with only crypto, every day counts.
- Bars are checked first (`check_bars`): bars outside the window are dropped, a symbol whose
  history starts after the window does is named with its first date, and a one-day move
  beyond 40 % is named as a possible split or data error.
- Parametric (normal, zero mean over one day): VaR = z * sigma, CVaR = sigma * phi(z) / (1 - a),
  with sigma the sample standard deviation (ddof=1) of the daily P/L and z 1.6449 / 2.3263.
- Flat: the spec's rule of thumb, 2 % of equity at 95 % and 3 % at 99 %; no CVaR.
- A VaR or CVaR below zero (every tail day was a gain) is reported as 0: VaR is a loss.

`to_money` turns a float statistic into Decimal cents at the edge; money stays Decimal.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

import numpy as np
import numpy.typing as npt

from pm.domain.money import CENT

VarMethod = Literal["flat", "historical", "parametric"]

LEVELS = (0.95, 0.99)
Z_SCORES = {0.95: 1.6449, 0.99: 2.3263}
FLAT_PCT = {0.95: Decimal(2), 0.99: Decimal(3)}

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class VarResult:
    """VaR and CVaR at 95 % and 99 % in account currency (Decimal cents); CVaR None for flat."""

    method: VarMethod
    var_95: Decimal
    var_99: Decimal
    cvar_95: Decimal | None
    cvar_99: Decimal | None
    days: int = 0  # return days the estimate used (0 for flat)


def to_money(value: float) -> Decimal:
    """A float statistic as Decimal cents (via its shortest repr, never its binary expansion)."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite statistic: {value!r}")
    return Decimal(repr(max(value, 0.0))).quantize(CENT, rounding=ROUND_HALF_EVEN)


def flat_var(equity: Decimal) -> VarResult:
    base = max(equity, Decimal(0))
    v95 = (base * FLAT_PCT[0.95] / 100).quantize(CENT, rounding=ROUND_HALF_EVEN)
    v99 = (base * FLAT_PCT[0.99] / 100).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return VarResult("flat", v95, v99, None, None)


def returns_from_closes(closes: FloatArray) -> FloatArray:
    """Simple daily returns of a (positions x days+1) close matrix: (positions x days)."""
    return closes[:, 1:] / closes[:, :-1] - 1.0


def portfolio_pnl(returns: FloatArray, values: FloatArray) -> FloatArray:
    """Daily P/L of today's positions over the return history: v @ R, shape (days,)."""
    if returns.ndim != 2 or values.shape != (returns.shape[0],):
        raise ValueError(f"shapes do not match: returns {returns.shape}, values {values.shape}")
    return values @ returns


def tail_size(days: int, level: float) -> int:
    """How many of the worst days form the tail at `level`: ceil(days * (1 - level)), >= 1."""
    return max(1, math.ceil(tail_mass(days, level)))


def tail_mass(days: int, level: float) -> float:
    """T x (1 - level), the tail's size in days (fractional), rid of float noise."""
    return round(days * (1.0 - level), 9)


def historical_tail(pnl: FloatArray, level: float) -> tuple[float, float]:
    """(VaR, CVaR) at `level` from a daily P/L series, as positive losses (floats).

    CVaR weights the boundary loss by the fractional part of the tail mass (see above)."""
    days = pnl.shape[0]
    if days == 0:
        raise ValueError("no return history")
    k = tail_size(days, level)
    losses = -pnl
    # The k largest losses in O(days), then sorted largest first (k is small).
    worst = np.sort(np.partition(losses, days - k)[days - k :])[::-1]
    var = float(worst[k - 1])
    mass = tail_mass(days, level)
    if mass <= 1.0:
        return var, float(worst[0])
    whole = math.floor(mass)
    fraction = mass - whole
    total = float(worst[:whole].sum())
    if fraction > 0:
        total += fraction * float(worst[whole])
    return var, total / mass


def parametric_tail(pnl: FloatArray, level: float) -> tuple[float, float]:
    """(VaR, CVaR) at `level` for normally distributed, zero-mean daily P/L."""
    if pnl.shape[0] < 2:
        raise ValueError("need at least two return days")
    sigma = float(np.std(pnl, ddof=1))
    z = Z_SCORES[level]
    density = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return z * sigma, sigma * density / (1.0 - level)


def historical_var(pnl: FloatArray) -> VarResult:
    (v95, c95), (v99, c99) = (historical_tail(pnl, lv) for lv in LEVELS)
    return _result("historical", v95, v99, c95, c99, pnl.shape[0])


def parametric_var(pnl: FloatArray) -> VarResult:
    (v95, c95), (v99, c99) = (parametric_tail(pnl, lv) for lv in LEVELS)
    return _result("parametric", v95, v99, c95, c99, pnl.shape[0])


def _result(
    method: VarMethod, v95: float, v99: float, c95: float, c99: float, days: int
) -> VarResult:
    return VarResult(method, to_money(v95), to_money(v99), to_money(c95), to_money(c99), days)


MIN_RETURN_DAYS = 20


@dataclass(frozen=True, slots=True)
class ReturnHistory:
    """Aligned daily returns of the symbols that have history (rows in `symbols` order)."""

    symbols: tuple[str, ...]
    returns: FloatArray  # (len(symbols), days)
    days: tuple[date, ...]  # the date each return column ends on


def align_returns(
    closes: Mapping[str, Sequence[tuple[date, Decimal]]],
    calendar: Collection[str] | None = None,
) -> ReturnHistory:
    """Align closes on one calendar and turn them into daily returns.

    The calendar is the union of the dates of the `calendar` symbols (the equities held) when
    any of them has history, else the union of every symbol's dates. Each symbol's close on a
    calendar date is its last close on or before it (so crypto's weekend moves land on the
    next trading day); a symbol missing a date keeps its last close (a zero return that day);
    before its first close it has zero returns too, so a young listing does not shorten
    everyone's window. Symbols with fewer than two closes are left out.
    """
    usable = {s: sorted(rows) for s, rows in closes.items() if len(rows) >= 2}
    on_calendar = [rows for s, rows in usable.items() if calendar is not None and s in calendar]
    dates = sorted({d for rows in (on_calendar or usable.values()) for d, _ in rows})
    symbols = tuple(sorted(usable))
    if len(dates) < 2:
        return ReturnHistory(symbols, np.zeros((len(symbols), 0)), ())
    matrix = np.full((len(symbols), len(dates)), np.nan)
    ordinals = np.array([d.toordinal() for d in dates])
    for row, symbol in enumerate(symbols):
        rows = usable[symbol]
        own = np.array([d.toordinal() for d, _ in rows])
        prices = np.array([float(p) for _, p in rows])
        # the last own close on or before each calendar date (-1: none yet)
        at = np.searchsorted(own, ordinals, side="right") - 1
        matrix[row] = np.where(at >= 0, prices[np.maximum(at, 0)], np.nan)
        if not np.isfinite(matrix[row]).any():
            matrix[row] = prices[-1]  # all its closes fall after the calendar: no returns
    for row in range(len(symbols)):
        series = matrix[row]
        present = np.flatnonzero(~np.isnan(series))
        series[: present[0]] = series[present[0]]  # back-fill the start: zero returns
        # forward-fill the gaps
        index = np.where(np.isnan(series), 0, np.arange(series.shape[0]))
        np.maximum.accumulate(index, out=index)
        matrix[row] = series[index]
    return ReturnHistory(symbols, returns_from_closes(matrix), tuple(dates[1:]))


#: A one-day move beyond this is named as a possible split or data error.
JUMP = 0.40
#: A symbol whose first bar comes more than this after the window's start has short history
#: (a window may start on a weekend or a holiday).
START_GRACE_DAYS = 7


@dataclass(frozen=True, slots=True)
class CheckedBars:
    closes: dict[str, list[tuple[date, Decimal]]]
    warnings: tuple[str, ...]


def check_bars(
    closes: Mapping[str, Sequence[tuple[date, Decimal]]], start: date, end: date
) -> CheckedBars:
    """Closes inside [start, end] (others dropped, as are closes that are not positive), and
    warnings naming short histories and one-day moves beyond 40 %."""
    kept: dict[str, list[tuple[date, Decimal]]] = {}
    warnings: list[str] = []
    for symbol in sorted(closes):
        rows = sorted(closes[symbol])
        inside = [(d, p) for d, p in rows if start <= d <= end and p > 0]
        dropped = len(rows) - len(inside)
        if dropped:
            warnings.append(
                f"{symbol}: dropped {dropped} bar(s) outside {start}..{end} or without a price"
            )
        kept[symbol] = inside
        if inside and (inside[0][0] - start).days > START_GRACE_DAYS:
            warnings.append(
                f"{symbol}: price history only from {inside[0][0]} (the window starts {start}); "
                "its VaR contribution covers fewer days"
            )
        for (_, before), (day, after) in itertools.pairwise(inside):
            move = after / before - 1
            if abs(move) > Decimal(str(JUMP)):
                warnings.append(
                    f"{symbol}: {move * 100:+.1f} % on {day}: a possible split or data error"
                )
    return CheckedBars(kept, tuple(warnings))

"""Kelly position sizing (`pm size`), as the product defines it.

    raw Kelly   = (win_rate x avg_win - loss_rate x avg_loss) / avg_win,  loss_rate = 1 - win_rate
    fractional  = raw Kelly x fraction                (PM_KELLY_FRACTION, 0.25)
    adjusted    = fractional x regime multiplier      (pm regime: 1.25 / 0.75 / 0.6 / 0.5 / 1.0)
    value       = adjusted x equity, then capped by the room left under the position limit
                  (PM_MAX_POSITION_PCT of equity, minus what is already held) and by buying power

`avg_win` and `avg_loss` are magnitudes (both >= 0) in any one unit (dollars per trade, or
percent): only their ratio matters. A raw Kelly at or below 0 means no edge: the size is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pm.domain.errors import BadInput
from pm.domain.lots import ClosedLot

CappedBy = Literal["position_limit", "buying_power"]
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class TradeStats:
    """Win rate (a fraction) and average win / loss (magnitudes) of some trades."""

    win_rate: Decimal
    avg_win: Decimal
    avg_loss: Decimal
    trades: int | None  # how many closed trades they came from; None when given by hand

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.win_rate <= 1:
            raise BadInput(f"`win_rate` must be a fraction from 0 to 1, got {self.win_rate}")
        if self.avg_win < 0 or self.avg_loss < 0:
            raise BadInput("`avg_win` and `avg_loss` are sizes: give them as positive numbers")


def stats_of(lots: Sequence[ClosedLot]) -> TradeStats | None:
    """Win rate and average win / loss of closed lots (a lot at exactly 0 counts as a loss
    of 0); None without any."""
    if not lots:
        return None
    results = [lot.realized_pl for lot in lots]
    wins = [r for r in results if r > 0]
    losses = [-r for r in results if r <= 0]
    return TradeStats(
        win_rate=Decimal(len(wins)) / Decimal(len(results)),
        avg_win=sum(wins, Decimal(0)) / len(wins) if wins else Decimal(0),
        avg_loss=sum(losses, Decimal(0)) / len(losses) if losses else Decimal(0),
        trades=len(results),
    )


def raw_kelly(stats: TradeStats) -> Decimal | None:
    """(p x W - q x L) / W; None when there are no wins to size on (W = 0)."""
    if stats.avg_win == 0:
        return None
    loss_rate = 1 - stats.win_rate
    return (stats.win_rate * stats.avg_win - loss_rate * stats.avg_loss) / stats.avg_win


@dataclass(frozen=True, slots=True)
class Sizing:
    """Each step of the computation; percents are of equity."""

    raw_kelly: Decimal  # as computed (may be negative)
    fraction: Decimal
    multiplier: Decimal
    kelly_pct: Decimal  # max(raw, 0) x fraction x multiplier x 100, before the caps
    suggested_pct: Decimal  # after the caps
    suggested_value: Decimal
    capped_by: CappedBy | None
    reasons: tuple[str, ...]


def size(
    stats: TradeStats,
    *,
    fraction: Decimal,
    multiplier: Decimal,
    equity: Decimal,
    buying_power: Decimal,
    held_value: Decimal,
    max_position_pct: Decimal,
) -> Sizing:
    """The suggested position value for `stats`, each step kept."""
    reasons: list[str] = []
    raw = raw_kelly(stats)
    if raw is None:
        reasons.append("no winning trades: nothing to size on (Kelly 0)")
        raw = Decimal(0)
    elif raw <= 0:
        reasons.append(f"raw Kelly {raw:.4f} <= 0: no edge, so no position")
    kelly_pct = max(raw, Decimal(0)) * fraction * multiplier * HUNDRED
    value = kelly_pct / HUNDRED * equity if equity > 0 else Decimal(0)
    capped_by: CappedBy | None = None
    room = max(Decimal(0), max_position_pct / HUNDRED * equity - max(held_value, Decimal(0)))
    if value > room:
        value, capped_by = room, "position_limit"
        reasons.append(
            f"capped at the position limit {max_position_pct} % of equity"
            + (f" (less {held_value:,.2f} already held)" if held_value > 0 else "")
        )
    bp = max(buying_power, Decimal(0))
    if value > bp:
        value, capped_by = bp, "buying_power"
        reasons.append(f"capped by buying power {bp:.2f}")
    pct = value / equity * HUNDRED if equity > 0 else Decimal(0)
    return Sizing(
        raw_kelly=raw,
        fraction=fraction,
        multiplier=multiplier,
        kelly_pct=kelly_pct,
        suggested_pct=pct,
        suggested_value=value,
        capped_by=capped_by,
        reasons=tuple(reasons),
    )

"""Risk metrics of an account and the rule table that turns them into alerts and a risk level.

Pure: takes equity, position exposures (with sectors), the peak equity and the limits.

The rule table (the README repeats it). For every limited metric with limit L:

| zone      | metric value           | alert level | code                     |
|-----------|------------------------|-------------|--------------------------|
| ok        | below 80 % of L        | -           | -                        |
| warning   | 80 % of L up to 95 %   | warning     | ``<metric>_warning``     |
| critical  | 95 % of L up to L      | critical    | ``<metric>_near_limit``  |
| breached  | above L                | critical    | ``<metric>_breached``    |

with metric = ``concentration`` (each position's |market value| / equity against
max_position_pct), ``sector`` (each sector's exposure against max_sector_pct) and
``drawdown`` (against max_drawdown_pct). Sectors "Unknown" and "ETF" are still summed and
checked: an unclassified 30 % is a concentration too.

The risk level, the highest that applies:

| level    | when                                                                     |
|----------|--------------------------------------------------------------------------|
| LOW      | no alert                                                                 |
| MEDIUM   | some metric in its warning zone                                          |
| HIGH     | some metric in its critical zone, or a position limit breached, or a     |
|          | sector limit breached                                                    |
| CRITICAL | the drawdown limit breached, or equity <= 0, or a sector limit breached  |
|          | while the level without it is already HIGH (the sector breach escalates) |

A limit is breached only when the value is strictly above it (5.0000 % of a 5 % limit is
critical, not breached).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from typing import Literal

from pm.domain.limits import RiskLimits
from pm.domain.models import Position
from pm.domain.money import pct
from pm.domain.portfolio import holding_key
from pm.domain.sectors import Sector

AlertLevel = Literal["warning", "critical"]
Zone = Literal["ok", "warning", "critical", "breached"]


class RiskLevel(IntEnum):
    LOW = 0
    MEDIUM = 1
    HIGH = 2
    CRITICAL = 3


@dataclass(frozen=True, slots=True)
class Exposure:
    """One position as risk sees it: signed market value and its sector."""

    symbol: str
    market_value: Decimal
    sector: str


def exposures(positions: Iterable[Position], sectors: Mapping[str, Sector]) -> list[Exposure]:
    """Each position with its sector (`sectors` keyed by normalized symbol, as
    `SectorResolver.resolve_many` answers)."""
    return [
        Exposure(p.symbol, p.market_value, sectors[holding_key(p.symbol)].name) for p in positions
    ]


@dataclass(frozen=True, slots=True)
class Alert:
    level: AlertLevel
    code: str
    message: str
    symbol: str | None = None
    sector: str | None = None

    @property
    def is_breach(self) -> bool:
        """A hard limit is exceeded (not merely near): the rule table's breached zone."""
        return self.code.endswith(f"_{_SUFFIX['breached']}")


@dataclass(frozen=True, slots=True)
class RiskMetrics:
    """The measured numbers (percent units), before any rule."""

    equity: Decimal
    max_concentration_pct: Decimal | None
    max_concentration_symbol: str | None
    position_pct: dict[str, Decimal]
    sector_exposure: dict[str, Decimal]
    peak_equity: Decimal
    drawdown_pct: Decimal


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    metrics: RiskMetrics
    level: RiskLevel
    alerts: list[Alert] = field(default_factory=list)
    concentration_breached: bool = False
    sector_breached: bool = False
    drawdown_breached: bool = False

    @property
    def breached(self) -> bool:
        """Any hard limit breached (the command then exits 1)."""
        return self.concentration_breached or self.sector_breached or self.drawdown_breached


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    """`money.pct` where `whole` is known to be positive."""
    result = pct(part, whole)
    assert result is not None
    return result


def measure(
    equity: Decimal, exposures: Iterable[Exposure], peak_equity: Decimal | None
) -> RiskMetrics:
    """Concentration, sector exposure and drawdown (percent of equity, 4 places).

    With equity <= 0 the percentages are meaningless: they are left empty (None / {}).
    The peak is the larger of the stored peak and today's equity, so drawdown is >= 0.
    """
    items = list(exposures)
    peak = max(equity, peak_equity) if peak_equity is not None else equity
    drawdown = _pct(peak - equity, peak) if peak > 0 else Decimal(0)
    if equity <= 0:
        return RiskMetrics(equity, None, None, {}, {}, peak, drawdown)
    position_pct: dict[str, Decimal] = {}
    sector_value: dict[str, Decimal] = {}
    for e in items:
        value = abs(e.market_value)
        position_pct[e.symbol] = position_pct.get(e.symbol, Decimal(0)) + value
        sector_value[e.sector] = sector_value.get(e.sector, Decimal(0)) + value
    position_pct = {s: _pct(v, equity) for s, v in position_pct.items()}
    top_symbol = None
    top_pct: Decimal | None = None
    for symbol, p in sorted(position_pct.items()):
        if top_pct is None or p > top_pct:
            top_symbol, top_pct = symbol, p
    sectors = {
        s: _pct(v, equity) for s, v in sorted(sector_value.items(), key=lambda kv: (-kv[1], kv[0]))
    }
    return RiskMetrics(
        equity,
        top_pct if top_pct is not None else Decimal(0),
        top_symbol,
        position_pct,
        sectors,
        peak,
        drawdown,
    )


def zone(value: Decimal, limit: Decimal, limits: RiskLimits) -> Zone:
    """Where `value` sits against `limit` (both percent): see the rule table."""
    if value > limit:
        return "breached"
    if value >= limits.critical_at(limit):
        return "critical"
    if value >= limits.warn_at(limit):
        return "warning"
    return "ok"


_ZONE_LEVEL = {"ok": RiskLevel.LOW, "warning": RiskLevel.MEDIUM, "critical": RiskLevel.HIGH}
_SUFFIX = {"warning": "warning", "critical": "near_limit", "breached": "breached"}


def _alert(kind: str, z: Zone, message: str, **where: str) -> Alert:
    level: AlertLevel = "warning" if z == "warning" else "critical"
    return Alert(level, f"{kind}_{_SUFFIX[z]}", message, **where)


def _describe(z: Zone) -> str:
    return {"warning": "nears", "critical": "is at", "breached": "exceeds"}[z]


def assess(metrics: RiskMetrics, limits: RiskLimits) -> RiskAssessment:
    """Apply the rule table: alerts (most severe first), breach flags and the risk level."""
    alerts: list[Alert] = []
    level = RiskLevel.LOW
    conc = sector = draw = False
    if metrics.equity <= 0:
        alerts.append(
            Alert("critical", "equity_not_positive", f"equity is {metrics.equity}: no margin left")
        )
        level = RiskLevel.CRITICAL
    for symbol, p in sorted(metrics.position_pct.items(), key=lambda kv: (-kv[1], kv[0])):
        z = zone(p, limits.max_position_pct, limits)
        if z == "ok":
            continue
        conc = conc or z == "breached"
        level = max(level, RiskLevel.HIGH if z == "breached" else _ZONE_LEVEL[z])
        alerts.append(
            _alert(
                "concentration",
                z,
                f"{symbol} is {p}% of equity; {_describe(z)} the "
                f"{limits.max_position_pct}% position limit",
                symbol=symbol,
            )
        )
    z = zone(metrics.drawdown_pct, limits.max_drawdown_pct, limits)
    if z != "ok":
        draw = z == "breached"
        level = max(level, RiskLevel.CRITICAL if draw else _ZONE_LEVEL[z])
        alerts.append(
            _alert(
                "drawdown",
                z,
                f"drawdown is {metrics.drawdown_pct}% from the peak equity "
                f"{metrics.peak_equity}; {_describe(z)} the {limits.max_drawdown_pct}% limit",
            )
        )
    sector_zones: list[Zone] = []
    for name, p in metrics.sector_exposure.items():
        z = zone(p, limits.max_sector_pct, limits)
        if z == "ok":
            continue
        sector_zones.append(z)
        alerts.append(
            _alert(
                "sector",
                z,
                f"sector {name} is {p}% of equity; {_describe(z)} the "
                f"{limits.max_sector_pct}% sector limit",
                sector=name,
            )
        )
    for z in sector_zones:
        if z != "breached":
            level = max(level, _ZONE_LEVEL[z])
    if "breached" in sector_zones:
        sector = True
        level = RiskLevel.CRITICAL if level >= RiskLevel.HIGH else RiskLevel.HIGH
    alerts.sort(key=lambda a: (a.level != "critical", not a.is_breach))
    return RiskAssessment(metrics, level, alerts, conc, sector, draw)

"""`pm risk`: concentration, sector exposure, VaR / CVaR and drawdown of the live account, the
rule table's alerts and level; alerts are stored after the output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import numpy as np

from pm.domain.breaker import BreakerStatus
from pm.domain.errors import BrokerRejected, BrokerUnavailable, CredentialsError, NotFound
from pm.domain.limits import RiskLimits
from pm.domain.models import Actor, Position, Source
from pm.domain.portfolio import drop_dust, holding_key
from pm.domain.risk import RiskAssessment, assess, exposures, measure
from pm.domain.sectors import Sector
from pm.domain.var import (
    MIN_RETURN_DAYS,
    VarMethod,
    VarResult,
    align_returns,
    check_bars,
    flat_var,
    historical_var,
    parametric_var,
    portfolio_pnl,
)
from pm.logging import get_logger
from pm.ports import BreakerStore, Broker, Clock, MarketData, Repository, WriteBehind
from pm.services.breaker import trip_if
from pm.services.live import account_and_positions, source_of
from pm.services.sectors import SectorResolver

log = get_logger("pm.risk")

HISTORY_DAYS = 365  # calendar days of daily closes: about 252 trading days


@dataclass(frozen=True, slots=True)
class RiskReport:
    account_id: str
    assessment: RiskAssessment
    var: VarResult
    sectors: dict[str, Sector]
    source: Source
    breaker: BreakerStatus
    breaker_tripped_now: bool
    warnings: list[str] = field(default_factory=list)
    var_excluded: tuple[str, ...] = ()  # held symbols the VaR estimate had no history for


def assess_risk(
    broker: Broker,
    open_repo: Callable[[], Repository],
    market_data: Callable[[], MarketData],
    breakers: Callable[[], BreakerStore],
    clock: Clock,
    writes: WriteBehind,
    limits: RiskLimits,
    *,
    actor: Actor,
    var_method: VarMethod | None = None,
) -> RiskReport:
    """Measure the live account against the limits; store the alerts after the output.

    `var_method` None means historical when daily bars can be had, flat otherwise; an
    explicit historical / parametric request also falls back to flat (with a warning) when
    the history is missing. Market data is only asked for when a method needs it.
    A CRITICAL level or a daily loss over the limit trips the circuit breaker at once.
    """
    with account_and_positions(broker) as pending:
        repo = open_repo()
        account, fetched = pending.result()
    positions = drop_dust(fetched)
    source = source_of(broker, clock)
    resolver = SectorResolver(repo.risk)
    sectors = resolver.resolve_many(
        [p.symbol for p in positions], {p.symbol: p.asset_class for p in positions}
    )
    peak = repo.snapshots.peak_equity(account.account_id)
    metrics = measure(account.equity, exposures(positions, sectors), peak)
    assessment = assess(metrics, limits)
    warnings: list[str] = []
    var, excluded = _value_at_risk(
        var_method, account.equity, positions, market_data, clock, warnings
    )
    now = source.fetched_at
    for alert in assessment.alerts:
        if alert.is_breach:
            log.warning(
                "risk limit breached",
                account_id=account.account_id,
                code=alert.code,
                alert_level=alert.level,
                message=alert.message,
            )
    if assessment.alerts:
        writes.submit(lambda: repo.risk.save_alerts(account.account_id, assessment.alerts, now))
    breaker = trip_if(
        breakers(),
        clock,
        account.account_id,
        max_daily_loss_pct=limits.max_daily_loss_pct,
        account=account,
        risk_level=assessment.level.name,
        actor=actor,
    )
    return RiskReport(
        account_id=account.account_id,
        assessment=assessment,
        var=var,
        sectors=sectors,
        source=source,
        breaker=breaker.status,
        breaker_tripped_now=breaker.changed,
        warnings=warnings,
        var_excluded=excluded,
    )


def _value_at_risk(
    method: VarMethod | None,
    equity: Decimal,
    positions: list[Position],
    market_data: Callable[[], MarketData],
    clock: Clock,
    warnings: list[str],
) -> tuple[VarResult, tuple[str, ...]]:
    if method == "flat":
        return flat_var(equity), ()
    wanted: VarMethod = method or "historical"
    held = [p for p in positions if p.market_value != 0]
    if not held:
        return VarResult(wanted, Decimal(0), Decimal(0), Decimal(0), Decimal(0)), ()

    def fallback(why: str) -> tuple[VarResult, tuple[str, ...]]:
        warnings.append(f"{wanted} VaR unavailable ({why}); using flat VaR (2 % / 3 % of equity)")
        return flat_var(equity), ()

    end = clock.now().date()
    symbols = sorted({holding_key(p.symbol) for p in held})
    try:
        bars = market_data().daily_closes(symbols, end - timedelta(days=HISTORY_DAYS), end)
    except (BrokerUnavailable, CredentialsError, BrokerRejected, NotFound) as error:
        return fallback(f"market data: {error.message}")
    start = end - timedelta(days=HISTORY_DAYS)
    checked = check_bars(bars.closes, start, end)
    warnings.extend(checked.warnings)
    equities = {holding_key(p.symbol) for p in held if p.asset_class != "crypto"}
    history = align_returns(checked.closes, calendar=equities or None)
    if len(history.days) < MIN_RETURN_DAYS:
        return fallback(
            f"{len(history.days)} days of price history, need at least {MIN_RETURN_DAYS}"
        )
    row = {s: i for i, s in enumerate(history.symbols)}
    values = np.zeros(len(history.symbols))
    missing: dict[str, Decimal] = {}
    for p in held:
        sym = holding_key(p.symbol)
        if sym in row:
            values[row[sym]] += float(p.market_value)
        else:
            missing[sym] = missing.get(sym, Decimal(0)) + abs(p.market_value)
    if not values.any():
        return fallback("no price history for any held symbol")
    if missing:
        why = dict.fromkeys(bars.unsupported, "no history on the stocks endpoint")
        listed = ", ".join(f"{s} ({why.get(s, 'no history')})" for s in sorted(missing))
        warnings.append(
            f"{wanted} VaR leaves out {len(missing)} position(s) worth "
            f"{sum(missing.values(), Decimal(0))} without price history: {listed}"
        )
    pnl = portfolio_pnl(history.returns, values)
    result = historical_var(pnl) if wanted == "historical" else parametric_var(pnl)
    return result, tuple(sorted(missing))

"""Pre-trade validation as a pure decision: the numbers in, approved or rejected with reasons.

Every order path in pm reaches this through `pm.services.validate`; nothing here fetches.

Rules (percent units; limits come from settings):

- estimated position value = (current qty + the order's signed qty) x price; position % =
  |that| / equity x 100; rejected above ``max_position_pct``.
- sector % after the order = (|market value| of the other holdings in the symbol's sector +
  |estimated position value|) / equity x 100; rejected above ``max_sector_pct``.
- daily loss % = (last_equity - equity) / last_equity x 100; rejected above
  ``max_daily_loss_pct``.
- circuit breaker: rejected while HALTED.
- buying power: rejected when the part of the order that opens or adds exposure, at the
  price, costs more than the buying power.

An order that only reduces a position (`pm.domain.orders.is_reducing`) passes every check:
limits exist to stop risk from growing, and closing must stay possible in a crisis. Its
figures are still computed and shown. A limit exactly reached passes; only exceeding fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from pm.domain.breaker import daily_loss_pct
from pm.domain.limits import RiskLimits
from pm.domain.models import OrderSide
from pm.domain.money import CENT, pct, round_pct
from pm.domain.orders import is_reducing, opening_qty, resulting_qty


@dataclass(frozen=True, slots=True)
class ValidationInput:
    """Everything the decision needs, already fetched."""

    symbol: str
    side: OrderSide
    qty: Decimal
    price: Decimal
    current_qty: Decimal
    equity: Decimal
    last_equity: Decimal
    buying_power: Decimal
    sector: str
    other_sector_value: Decimal  # sum of |market value| of the other holdings in the sector
    breaker_halted: bool
    breaker_reason: str | None
    limits: RiskLimits


@dataclass(frozen=True, slots=True)
class ValidationDecision:
    approved: bool
    reducing: bool
    position_limit_ok: bool
    sector_limit_ok: bool
    daily_loss_ok: bool
    circuit_breaker_ok: bool
    buying_power_ok: bool
    estimated_position_value: Decimal
    position_pct: Decimal | None
    sector: str
    sector_pct: Decimal | None
    daily_loss_pct: Decimal
    order_value: Decimal
    required_buying_power: Decimal
    reasons: tuple[str, ...]


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    """Percent of equity; None when equity is not positive (nothing can be sized against it)."""
    return pct(part, whole) if whole > 0 else None


def _text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def decide(v: ValidationInput) -> ValidationDecision:
    """Run every check on `v` (all of them, so every reason is reported at once)."""
    if v.qty <= 0:
        raise ValueError("order quantity must be positive")
    if v.price <= 0:
        raise ValueError("price must be positive")
    reducing = is_reducing(v.current_qty, v.side, v.qty)
    after = resulting_qty(v.current_qty, v.side, v.qty)
    value = (after * v.price).quantize(CENT, rounding=ROUND_HALF_EVEN)
    position_pct = _pct(abs(value), v.equity)
    sector_pct = _pct(v.other_sector_value + abs(value), v.equity)
    loss = daily_loss_pct(v.equity, v.last_equity)
    need = (opening_qty(v.current_qty, v.side, v.qty) * v.price).quantize(
        CENT, rounding=ROUND_HALF_EVEN
    )
    limits = v.limits
    reasons: list[str] = []

    if reducing:
        position_ok = sector_ok = loss_ok = breaker_ok = power_ok = True
    else:
        if v.equity <= 0:
            reasons.append(f"equity is {_text(v.equity)}: no position can be sized against it")
        position_ok = position_pct is not None and position_pct <= limits.max_position_pct
        if not position_ok and position_pct is not None:
            reasons.append(
                f"position limit: {v.symbol} would be {_text(position_pct)} % of equity "
                f"(limit {_text(limits.max_position_pct)} %)"
            )
        sector_ok = sector_pct is not None and sector_pct <= limits.max_sector_pct
        if not sector_ok and sector_pct is not None:
            reasons.append(
                f"sector limit: {v.sector} would be {_text(sector_pct)} % of equity "
                f"(limit {_text(limits.max_sector_pct)} %)"
            )
        loss_ok = loss <= limits.max_daily_loss_pct
        if not loss_ok:
            reasons.append(
                f"daily loss limit: down {_text(round_pct(loss))} % today "
                f"(limit {_text(limits.max_daily_loss_pct)} %)"
            )
        breaker_ok = not v.breaker_halted
        if not breaker_ok:
            because = f": {v.breaker_reason}" if v.breaker_reason else ""
            reasons.append(
                f"circuit breaker HALTED{because} (only reducing orders pass; "
                "`pm breaker reset` clears it)"
            )
        power_ok = need <= v.buying_power
        if not power_ok:
            reasons.append(
                f"buying power: the order needs {_text(need)} but only "
                f"{_text(v.buying_power)} is available"
            )
    approved = position_ok and sector_ok and loss_ok and breaker_ok and power_ok
    return ValidationDecision(
        approved=approved,
        reducing=reducing,
        position_limit_ok=position_ok,
        sector_limit_ok=sector_ok,
        daily_loss_ok=loss_ok,
        circuit_breaker_ok=breaker_ok,
        buying_power_ok=power_ok,
        estimated_position_value=value,
        position_pct=position_pct,
        sector=v.sector,
        sector_pct=sector_pct,
        daily_loss_pct=round_pct(loss),
        order_value=(v.qty * v.price).quantize(CENT, rounding=ROUND_HALF_EVEN),
        required_buying_power=need,
        reasons=tuple(reasons),
    )

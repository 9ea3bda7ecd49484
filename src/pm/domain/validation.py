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
Limits are compared on the exact Decimals (``value x 100 > limit x equity``); the `*_pct`
figures are rounded for display only.

Besides the limits, what the broker itself would refuse (`BROKER_RULES`), for every order,
reducing or not:

- ``qty_available``: the part of the order that reduces the position must not exceed the
  quantity not held for open orders (Alpaca answers 403 "insufficient qty available").
- ``crypto_short``: crypto cannot be sold short (selling more than is held).
- ``fractional_short``: a short cannot be opened with a fractional quantity.
- ``shorting_disabled``: no short when the account's ``shorting_enabled`` is false.
- ``trading_blocked`` / ``account_blocked`` / ``trade_suspended_by_user``: the account flags.
- ``pattern_day_trader``: only when the account reports ``daytrade_count``: a day trade when
  3 or more were made in five days and equity is under 25,000.
- ``notional_minimum`` (a notional under 1 dollar) and ``qty_precision`` (more than 9
  decimal places).

A market order for an equity while the market is closed is not rejected: Alpaca accepts and
queues it until the open; the decision carries a ``market_closed`` note saying so.

The wash-sale guard (``wash_sale``): a buy of a symbol sold at a loss within the last 30 days
(`pm.domain.tax`) carries a ``wash_sale`` note; with ``PM_WASH_SALE=block`` it is rejected
instead (unless it only covers a short).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from pm.domain.breaker import daily_loss_pct
from pm.domain.limits import RiskLimits
from pm.domain.models import OrderSide
from pm.domain.money import CENT, pct, round_pct
from pm.domain.orders import is_reducing, opening_qty, resulting_qty

#: Alpaca's minimums and the pattern-day-trader threshold.
MIN_NOTIONAL = Decimal(1)
QTY_DECIMALS = 9
PDT_MIN_EQUITY = Decimal(25_000)
PDT_MAX_DAY_TRADES = 3

#: Reason codes of the broker's own rules (the limits have theirs: see `Rejection`).
BROKER_RULES = (
    "qty_available",
    "crypto_short",
    "fractional_short",
    "shorting_disabled",
    "trading_blocked",
    "account_blocked",
    "trade_suspended_by_user",
    "pattern_day_trader",
    "notional_minimum",
    "qty_precision",
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an order is refused: a stable code (``position_limit``, ``sector_limit``,
    ``daily_loss_limit``, ``circuit_breaker``, ``buying_power``, ``no_equity`` or one of
    `BROKER_RULES`) and one sentence for a person."""

    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class Note:
    """Something to know that does not stop the order (``market_closed``)."""

    code: str
    text: str


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
    # What the broker knows (defaults: nothing known, nothing refused).
    crypto: bool = False
    available_qty: Decimal | None = None  # signed like current_qty; None: all of it
    notional: Decimal | None = None  # the order's notional when it was given in dollars
    order_type: str = "market"
    market_open: bool | None = None  # None: not asked (crypto, or the clock was unavailable)
    next_open: str | None = None  # when the market opens next, for the note
    trading_blocked: bool = False
    account_blocked: bool = False
    trade_suspended_by_user: bool = False
    shorting_enabled: bool = True
    daytrade_count: int | None = None  # None: the account does not report the PDT fields
    pattern_day_trader: bool | None = None
    day_trade: bool = False  # the order closes a position opened today
    # The wash-sale guard (`pm.domain.tax`): why a buy would wash a recent loss sale (None:
    # it would not), and whether that rejects the buy (``PM_WASH_SALE=block``) or warns.
    wash_sale: str | None = None
    wash_sale_block: bool = False


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
    rejections: tuple[Rejection, ...] = ()
    notes: tuple[Note, ...] = ()
    broker_rules_ok: bool = True

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.rejections)


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    """Percent of equity; None when equity is not positive (nothing can be sized against it)."""
    return pct(part, whole) if whole > 0 else None


def _text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _over(part: Decimal, whole: Decimal, limit_pct: Decimal) -> bool:
    """part / whole x 100 > limit, compared exactly (no rounding, no division)."""
    return part * 100 > limit_pct * whole


def _shown_pct(exact: Decimal, limit: Decimal) -> str:
    """The percentage for a sentence: 4 places, more when rounding would hide the excess."""
    shown = round_pct(exact)
    if shown <= limit < exact:
        shown = exact.quantize(Decimal("1e-10"), rounding=ROUND_HALF_EVEN)
    return _text(shown)


def decide(v: ValidationInput) -> ValidationDecision:
    """Run every check on `v` (all of them, so every reason is reported at once)."""
    if v.qty <= 0:
        raise ValueError("order quantity must be positive")
    if v.price <= 0:
        raise ValueError("price must be positive")
    reducing = is_reducing(v.current_qty, v.side, v.qty)
    after = resulting_qty(v.current_qty, v.side, v.qty)
    exact_value = after * v.price
    value = exact_value.quantize(CENT, rounding=ROUND_HALF_EVEN)
    position_pct = _pct(abs(value), v.equity)
    sector_pct = _pct(v.other_sector_value + abs(value), v.equity)
    loss = daily_loss_pct(v.equity, v.last_equity)
    exact_need = opening_qty(v.current_qty, v.side, v.qty) * v.price
    need = exact_need.quantize(CENT, rounding=ROUND_HALF_EVEN)
    limits = v.limits
    rejections: list[Rejection] = []

    def reject(code: str, reason: str) -> None:
        rejections.append(Rejection(code, reason))

    if reducing:
        position_ok = sector_ok = loss_ok = breaker_ok = power_ok = True
    else:
        if v.equity <= 0:
            reject("no_equity", f"equity is {_text(v.equity)}: no position can be sized against it")
        position_ok = v.equity > 0 and not _over(
            abs(exact_value), v.equity, limits.max_position_pct
        )
        if not position_ok and v.equity > 0:
            reject(
                "position_limit",
                f"position limit: {v.symbol} would be "
                f"{_shown_pct(abs(exact_value) / v.equity * 100, limits.max_position_pct)} % "
                f"of equity (limit {_text(limits.max_position_pct)} %)",
            )
        sector_exact = v.other_sector_value + abs(exact_value)
        sector_ok = v.equity > 0 and not _over(sector_exact, v.equity, limits.max_sector_pct)
        if not sector_ok and v.equity > 0:
            reject(
                "sector_limit",
                f"sector limit: {v.sector} would be "
                f"{_shown_pct(sector_exact / v.equity * 100, limits.max_sector_pct)} % of equity "
                f"(limit {_text(limits.max_sector_pct)} %)",
            )
        loss_ok = loss <= limits.max_daily_loss_pct
        if not loss_ok:
            reject(
                "daily_loss_limit",
                f"daily loss limit: down {_shown_pct(loss, limits.max_daily_loss_pct)} % today "
                f"(limit {_text(limits.max_daily_loss_pct)} %)",
            )
        breaker_ok = not v.breaker_halted
        if not breaker_ok:
            because = f": {v.breaker_reason}" if v.breaker_reason else ""
            reject(
                "circuit_breaker",
                f"circuit breaker HALTED{because} (only reducing orders pass; "
                "`pm breaker reset` clears it)",
            )
        power_ok = exact_need <= v.buying_power
        if not power_ok:
            reject(
                "buying_power",
                f"buying power: the order needs {_text(need)} but only "
                f"{_text(v.buying_power)} is available",
            )
    broker_rejections = _broker_rules(v, after)
    rejections.extend(broker_rejections)
    washes = _wash_sale_blocks(v, reducing)
    if washes:
        rejections.append(Rejection("wash_sale", f"{v.wash_sale} (PM_WASH_SALE=block)"))
    approved = (
        position_ok
        and sector_ok
        and loss_ok
        and breaker_ok
        and power_ok
        and not broker_rejections
        and not washes
    )
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
        reasons=tuple(r.reason for r in rejections),
        rejections=tuple(rejections),
        notes=_notes(v),
        broker_rules_ok=not broker_rejections,
    )


def _broker_rules(v: ValidationInput, after: Decimal) -> list[Rejection]:
    """What the broker would refuse, whatever pm's own limits say."""
    out: list[Rejection] = []
    flags = (
        ("trading_blocked", v.trading_blocked, "trading is blocked on this account"),
        ("account_blocked", v.account_blocked, "the account is blocked"),
        (
            "trade_suspended_by_user",
            v.trade_suspended_by_user,
            "trading is suspended on this account by its owner",
        ),
    )
    for code, on, sentence in flags:
        if on:
            out.append(Rejection(code, f"{sentence} (the broker reports `{code}`)"))
    # the part of the order that takes from the position, and the part that goes past zero
    reduces = min(v.qty, abs(v.current_qty)) if _against(v.current_qty, v.side) else Decimal(0)
    if reduces > 0:
        available = abs(v.available_qty) if v.available_qty is not None else abs(v.current_qty)
        if reduces > available:
            held_back = abs(v.current_qty) - available
            out.append(
                Rejection(
                    "qty_available",
                    f"qty available: {v.side} {_text(reduces)} {v.symbol} but only "
                    f"{_text(available)} of {_text(abs(v.current_qty))} are available "
                    f"({_text(held_back)} held for open orders)",
                )
            )
    opens_short = after < 0 and v.side == "sell"  # opens or extends a short
    if opens_short:
        short = min(v.qty, -after)
        if v.crypto:
            out.append(
                Rejection(
                    "crypto_short",
                    f"crypto short: selling {_text(short)} {v.symbol} more than is held; "
                    "crypto cannot be sold short",
                )
            )
        else:
            if not v.shorting_enabled:
                out.append(
                    Rejection(
                        "shorting_disabled",
                        f"shorting disabled: the order would open a short of {_text(short)} "
                        f"{v.symbol} and the account does not allow shorting",
                    )
                )
            if v.qty != v.qty.to_integral_value():
                out.append(
                    Rejection(
                        "fractional_short",
                        f"fractional short: {_text(v.qty)} {v.symbol} would go short and "
                        "short orders must be whole shares",
                    )
                )
    if (
        v.daytrade_count is not None
        and v.day_trade
        and v.daytrade_count >= PDT_MAX_DAY_TRADES
        and v.equity < PDT_MIN_EQUITY
    ):
        out.append(
            Rejection(
                "pattern_day_trader",
                f"pattern day trader: the order closes a position in {v.symbol} opened today, "
                f"the account made {v.daytrade_count} day trades in five days and equity "
                f"{_text(v.equity)} is under {_text(PDT_MIN_EQUITY)}",
            )
        )
    if v.notional is not None and v.notional < MIN_NOTIONAL:
        out.append(
            Rejection(
                "notional_minimum",
                f"notional minimum: {_text(v.notional)} is under Alpaca's "
                f"{_text(MIN_NOTIONAL)} dollar minimum",
            )
        )
    places = v.qty.normalize().as_tuple().exponent
    if isinstance(places, int) and places < -QTY_DECIMALS:
        out.append(
            Rejection(
                "qty_precision",
                f"qty precision: {_text(v.qty)} has more than {QTY_DECIMALS} decimal places",
            )
        )
    return out


def _against(current_qty: Decimal, side: OrderSide) -> bool:
    """True when an order on this side takes from the position (sell a long, buy a short)."""
    return (current_qty > 0 and side == "sell") or (current_qty < 0 and side == "buy")


def _wash_sale_blocks(v: ValidationInput, reducing: bool) -> bool:
    """A buy that would wash a loss sale is rejected under ``PM_WASH_SALE=block``, unless it
    only covers a short (closing must stay possible): then it is a note, as by default."""
    return v.side == "buy" and v.wash_sale is not None and v.wash_sale_block and not reducing


def _notes(v: ValidationInput) -> tuple[Note, ...]:
    notes: list[Note] = []
    if v.market_open is False and not v.crypto and v.order_type == "market":
        when = f" (next open {v.next_open})" if v.next_open else ""
        notes.append(
            Note(
                "market_closed",
                f"the market is closed: Alpaca accepts this market order and queues it until "
                f"the open{when}",
            )
        )
    if v.side == "buy" and v.wash_sale is not None:
        blocked = _wash_sale_blocks(v, is_reducing(v.current_qty, v.side, v.qty))
        if not blocked:
            notes.append(Note("wash_sale", v.wash_sale))
    return tuple(notes)

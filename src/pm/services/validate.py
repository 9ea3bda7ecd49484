"""Pre-trade validation: the one function every order path in pm calls before the broker.

`validate` fetches what the checks need concurrently (account, positions, then the breaker,
the sectors and a market price in parallel), trips the breaker by itself when the daily loss
is over the limit (or a risk level hook says CRITICAL), and returns the pure decision of
`pm.domain.validation.decide`. `require` is the same, raising `CheckFailed` (exit 1) when the
order is rejected: order-placing services (close, close-all, later rebalance and exits) call
it, and reach `Broker.submit_order` / `close_position` only afterwards.

What the broker knows comes along: the account's status and PDT fields, each position's
`qty_available`, and, for an equity market order, the broker's clock (`get_clock`, fetched
alongside the account: one more concurrent request; a clock that cannot be read only leaves
the market-hours note out). Whether an order is a day trade is read from the ledger's fills
of today (New York), only when the account reports the PDT fields.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Literal, TypeVar

from pm.domain.breaker import BreakerStatus
from pm.domain.errors import BadInput, CheckFailed
from pm.domain.limits import RiskLimits
from pm.domain.market_calendar import MARKET_TZ, trade_date
from pm.domain.models import Account, Actor, OrderSide, Position, Source
from pm.domain.money import MAX_INPUT
from pm.domain.portfolio import drop_dust, holding_key
from pm.domain.risk import assess, exposures, measure
from pm.domain.sectors import Sector, is_crypto
from pm.domain.tax import WASH_SALE_DAYS, wash_sale_of_buy
from pm.domain.validation import PDT_MAX_DAY_TRADES, ValidationDecision, ValidationInput, decide
from pm.ports import BreakerStore, Broker, Clock, LatestPrices, LedgerStore
from pm.services import breaker as breakers
from pm.services import market as market_hours
from pm.services.live import broker_pool, source_of
from pm.services.sectors import SectorResolver

T = TypeVar("T")
QTY_PLACES = Decimal("0.000000001")  # Alpaca's fractional quantities go to 9 places
#: How far back the wash-sale guard looks for sells (the window and a day for time zones).
WASH_LOOKBACK = timedelta(days=WASH_SALE_DAYS + 2)

PriceSource = Literal["option", "position", "market"]
#: The highest stored equity of an account (for the drawdown in the risk level).
PeakEquityFn = Callable[[str], Decimal | None]


@dataclass(frozen=True, slots=True)
class ProposedOrder:
    """An order someone wants to place: exactly one of qty and notional (USD)."""

    symbol: str
    side: OrderSide
    qty: Decimal | None = None
    notional: Decimal | None = None
    price: Decimal | None = None  # the caller's price; else the position's, else the market's
    type: str = "market"  # market orders of equities are checked against market hours

    def __post_init__(self) -> None:
        name = self.symbol.strip()
        if not name or any(c.isspace() for c in name):  # `pm validate "$SYM"`, SYM unset
            raise BadInput(
                f"{self.symbol[:40]!r} is not a symbol (a ticker like AAPL, or a crypto pair "
                "like BTC/USD)"
            )
        if (self.qty is None) == (self.notional is None):
            raise BadInput("give exactly one of `qty` and `notional`")
        amount = self.qty if self.qty is not None else self.notional
        if amount is not None and amount <= 0:
            raise BadInput(f"{'`qty`' if self.qty is not None else '`notional`'} must be > 0")
        if self.price is not None and self.price <= 0:
            raise BadInput("`price` must be > 0")


@dataclass(frozen=True, slots=True)
class Fetched:
    """Account and positions already fetched (a caller that has them passes them in)."""

    account: Account
    positions: Sequence[Position]
    # The orders will go out after the account's open orders are canceled (close-all), so
    # nothing stays held for them: all of each position is available.
    cancels_open_orders: bool = False


@dataclass(frozen=True, slots=True)
class Guard:
    """What validation needs; built once per command."""

    broker: Broker
    breakers: BreakerStore
    sectors: SectorResolver
    limits: RiskLimits
    clock: Clock
    actor: Actor  # who trips the breaker when validation does it by itself
    prices: LatestPrices | None = None
    # With it, the account's risk level is assessed too, and CRITICAL trips the breaker.
    peak_equity: PeakEquityFn | None = None
    # With it, the cached market regime: "VIX 36.20 > 35" trips the breaker (emergency stop).
    regime_check: Callable[[], str | None] | None = None
    # With it, an order closing a position opened today counts as a day trade (PDT rule),
    # and a buy of a symbol sold at a loss in the last 30 days carries the wash-sale guard.
    ledger: LedgerStore | None = None
    wash_sale_block: bool = False  # PM_WASH_SALE=block: such a buy is rejected, not noted
    # The demo's: brings its ledger (local activities) up to date before the gate reads it,
    # so a verdict does not depend on whether an earlier command synced.
    ledger_sync: Callable[[], None] | None = None


@dataclass(frozen=True, slots=True)
class ValidationResult:
    order: ProposedOrder
    account_id: str
    symbol: str
    qty: Decimal
    price: Decimal
    price_source: PriceSource
    current_qty: Decimal
    decision: ValidationDecision
    breaker: BreakerStatus
    breaker_tripped_now: bool
    risk_level: str | None  # the account's level before the order (None when not assessed)
    source: Source
    qty_available: Decimal | None = None  # of the position before the order (None: not held)
    market_open: bool | None = None  # None: not asked (crypto, not a market order) or unknown

    @property
    def approved(self) -> bool:
        return self.decision.approved


def same_symbol(a: str, b: str) -> bool:
    """``BTC/USD`` (orders) and ``BTCUSD`` (positions) name the same holding."""
    return holding_key(a) == holding_key(b)


def held(positions: Sequence[Position], symbol: str) -> Position | None:
    for position in positions:
        if same_symbol(position.symbol, symbol):
            return position
    return None


def validate(
    guard: Guard, order: ProposedOrder, *, fetched: Fetched | None = None
) -> ValidationResult:
    """Decide whether `order` may go to the broker. Fetches run in parallel."""
    return validate_all(guard, [order], fetched=fetched)[0]


def validate_all(
    guard: Guard, orders: Sequence[ProposedOrder], *, fetched: Fetched | None = None
) -> list[ValidationResult]:
    """Validate several orders against one reading of the account: account, positions, sectors,
    the risk level and the breaker are fetched once, so closing hundreds of positions costs
    about what one order does."""
    with broker_pool(5, "pm-validate") as pool:
        if fetched is None:
            account_f = pool.submit(guard.broker.get_account)
            positions_f = pool.submit(guard.broker.get_positions)
        else:
            held_positions = list(fetched.positions)
            if fetched.cancels_open_orders:
                held_positions = [replace(p, qty_available=None) for p in held_positions]
            account_f, positions_f = _done(fetched.account), _done(held_positions)
        needs_clock = any(o.type == "market" and not is_crypto(o.symbol) for o in orders)
        clock_f = (
            pool.submit(market_hours.clock_or_none, guard.broker) if needs_clock else _done(None)
        )
        symbols = [order.symbol for order in orders]
        sectors_f = pool.submit(_sectors_of, guard, symbols, positions_f)
        breaker_f = pool.submit(_breaker_after, guard, account_f, positions_f, sectors_f)
        prices_f = pool.submit(_prices, guard, orders, positions_f)
        account, positions = account_f.result(), positions_f.result()
        prices = prices_f.result()
        found = sectors_f.result()
        breaker, tripped_now, level = breaker_f.result()
        market = clock_f.result()
    index = {holding_key(p.symbol): p for p in positions}
    sector_value: dict[str, Decimal] = {}
    for p in positions:
        name = found[holding_key(p.symbol)].name
        sector_value[name] = sector_value.get(name, Decimal(0)) + abs(p.market_value)
    source = source_of(guard.broker, guard.clock)
    qtys = [_quantity(order, price) for order, (price, _) in zip(orders, prices, strict=True)]
    washes = _wash_sales(guard, account.account_id, [o.symbol for o in orders if o.side == "buy"])
    results = []
    for order, (price, price_source), qty in zip(orders, prices, qtys, strict=True):
        position = index.get(holding_key(order.symbol))
        current_qty = position.qty if position is not None else Decimal(0)
        symbol = position.symbol if position is not None else order.symbol.upper()
        sector = found[holding_key(symbol)].name
        own = abs(position.market_value) if position is not None else Decimal(0)
        crypto = is_crypto(symbol, position.asset_class if position is not None else None)
        market_open = None if crypto or order.type != "market" or market is None else market.is_open
        day_trade = _is_day_trade(guard, account, symbol, order.side, current_qty)
        decision = decide(
            ValidationInput(
                symbol=symbol,
                side=order.side,
                qty=qty,
                price=price,
                current_qty=current_qty,
                equity=account.equity,
                last_equity=account.last_equity,
                buying_power=account.buying_power,
                sector=sector,
                other_sector_value=sector_value.get(sector, Decimal(0)) - own,
                breaker_halted=breaker.halted,
                breaker_reason=breaker.reason,
                limits=guard.limits,
                crypto=crypto,
                available_qty=position.available if position is not None else None,
                notional=order.notional,
                order_type=order.type,
                market_open=market_open,
                next_open=_local(market.next_open) if market is not None else None,
                trading_blocked=account.trading_blocked,
                account_blocked=account.account_blocked,
                trade_suspended_by_user=account.trade_suspended_by_user,
                shorting_enabled=account.shorting_enabled,
                daytrade_count=account.daytrade_count,
                pattern_day_trader=account.pattern_day_trader,
                day_trade=day_trade,
                wash_sale=washes.get(holding_key(symbol)) if order.side == "buy" else None,
                wash_sale_block=guard.wash_sale_block,
            )
        )
        results.append(
            ValidationResult(
                order=order,
                account_id=account.account_id,
                symbol=symbol,
                qty=qty,
                price=price,
                price_source=price_source,
                current_qty=current_qty,
                decision=decision,
                breaker=breaker,
                breaker_tripped_now=tripped_now,
                risk_level=level,
                source=source,
                qty_available=position.available if position is not None else None,
                market_open=market_open,
            )
        )
    return results


def _local(when: datetime) -> str:
    return when.astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M %Z")


def _is_day_trade(
    guard: Guard,
    account: Account,
    symbol: str,
    side: OrderSide,
    current_qty: Decimal,
) -> bool:
    """True when the order takes from a position that pm's ledger saw opened (or added to)
    today, New York time. Asked only when the PDT rule could apply: the account reports
    `daytrade_count` and has used its day trades."""
    if (
        guard.ledger is None
        or account.daytrade_count is None
        or account.daytrade_count < PDT_MAX_DAY_TRADES
    ):
        return False
    if current_qty == 0 or (current_qty > 0) != (side == "sell"):
        return False  # the order does not take from a position
    now = guard.clock.now().astimezone(MARKET_TZ)
    start = datetime.combine(now.date(), time(0), MARKET_TZ)
    opening = "buy" if current_qty > 0 else "sell"
    fills = guard.ledger.fills(account.account_id, since=start)
    return any(same_symbol(f.symbol, symbol) and f.side == opening for f in fills)


def _wash_sales(guard: Guard, account_id: str, buys: Sequence[str]) -> dict[str, str]:
    """The buys (by holding key) that would wash a loss sale of the last 30 days, with the
    sentence saying so. One read of the recent fills; the whole history (for the FIFO loss)
    only of the symbols sold recently."""
    if guard.ledger is None or not buys:
        return {}
    if guard.ledger_sync is not None:
        guard.ledger_sync()
    now = guard.clock.now()
    today = trade_date(now)
    wanted = {holding_key(s) for s in buys}
    recent = guard.ledger.fills(account_id, since=now - WASH_LOOKBACK)
    sold = sorted({holding_key(f.symbol) for f in recent if f.side == "sell"} & wanted)
    out: dict[str, str] = {}
    for key in sold:
        closed = guard.ledger.lots(account_id, symbol=key).closed
        wash = wash_sale_of_buy(closed, key, today)
        if wash is not None:
            out[key] = wash.sentence()
    return out


def _quantity(order: ProposedOrder, price: Decimal) -> Decimal:
    if order.qty is not None:
        return order.qty
    assert order.notional is not None
    units = order.notional / price
    if units >= MAX_INPUT:
        raise BadInput(f"`notional` {order.notional} at {price} is {units:.3E} units: out of range")
    qty = units.quantize(QTY_PLACES, rounding=ROUND_DOWN)
    if qty <= 0:
        raise BadInput(f"`notional` {order.notional} buys nothing at {price}")
    return qty


def require(
    guard: Guard, order: ProposedOrder, *, fetched: Fetched | None = None
) -> ValidationResult:
    """`validate`, raising `CheckFailed` (exit 1) with every reason when rejected."""
    return require_all(guard, [order], fetched=fetched)[0]


def require_all(
    guard: Guard, orders: Sequence[ProposedOrder], *, fetched: Fetched | None = None
) -> list[ValidationResult]:
    """`validate_all`, raising `CheckFailed` (exit 1) naming every rejected order."""
    results = validate_all(guard, orders, fetched=fetched)
    rejected = [
        f"{r.order.side} {r.symbol}: "
        + "; ".join(f"{x.reason} [{x.code}]" for x in r.decision.rejections)
        for r in results
        if not r.approved
    ]
    if rejected:
        raise CheckFailed("pre-trade validation rejected " + " | ".join(rejected))
    return results


def _done(value: T) -> Future[T]:
    future: Future[T] = Future()
    future.set_result(value)
    return future


def _breaker_after(
    guard: Guard,
    account_f: Future[Account],
    positions_f: Future[list[Position]],
    sectors_f: Future[dict[str, Sector]],
) -> tuple[BreakerStatus, bool, str | None]:
    """The breaker, tripped first if the daily loss or a CRITICAL risk level calls for it."""
    account = account_f.result()
    level = None
    if guard.peak_equity is not None:
        exposed = exposures(drop_dust(positions_f.result()), sectors_f.result())  # as pm risk
        metrics = measure(account.equity, exposed, guard.peak_equity(account.account_id))
        level = assess(metrics, guard.limits).level.name
    change = breakers.trip_if(
        guard.breakers,
        guard.clock,
        account.account_id,
        max_daily_loss_pct=guard.limits.max_daily_loss_pct,
        account=account,
        risk_level=level,
        actor=guard.actor,
    )
    if not change.status.halted and guard.regime_check is not None:
        reason = guard.regime_check()
        if reason is not None:
            after = guard.breakers.trip(
                account.account_id, f"automatic: {reason}", str(guard.actor), guard.clock.now()
            )
            return after, after.halted, level
    return change.status, change.changed, level


def _sectors_of(
    guard: Guard, symbols: Sequence[str], positions_f: Future[list[Position]]
) -> dict[str, Sector]:
    """The sector of every holding and of every order's symbol, keyed by normalized symbol."""
    positions = positions_f.result()
    classes = {p.symbol: p.asset_class for p in positions}
    index = {holding_key(p.symbol): p.symbol for p in positions}
    keys = [index.get(holding_key(s), s) for s in symbols]
    return guard.sectors.resolve_many([*keys, *classes], {**classes})


def _prices(
    guard: Guard, orders: Sequence[ProposedOrder], positions_f: Future[list[Position]]
) -> list[tuple[Decimal, PriceSource]]:
    return [_price_after(guard, order, positions_f) for order in orders]


def _price_after(
    guard: Guard, order: ProposedOrder, positions_f: Future[list[Position]]
) -> tuple[Decimal, PriceSource]:
    if order.price is not None:
        return order.price, "option"
    position = held(positions_f.result(), order.symbol)
    if position is not None and position.current_price > 0:
        return position.current_price, "position"
    latest = guard.prices.latest_price(order.symbol) if guard.prices is not None else None
    if latest is None or latest <= 0:
        raise BadInput(
            f"no price for {order.symbol.upper()}: the account does not hold it and no market "
            "price is available; give a `price`"
        )
    return latest, "market"

"""`DemoBroker`: the built-in simulated account behind ``pm --demo``.

No network, no credentials, deterministic prices (see `prices`), market orders that fill at
once. State lives in a `DemoStore` under `DEMO_ACCOUNT_ID`; the first use seeds it (see `seed`).

Persistence rule: every operation that changes the state calls ``store.save`` exactly once
(one transaction in the SQL store). A read that finds no state seeds it and saves the seed;
an order that is rejected saves nothing.

Account figures are those of the positions `pm` shows: dust (below `DUST_QTY`) is worth
nothing, as selling it would move no cent of cash. ``last_equity`` is the equity at the
previous trading day's close, as a real account's is, so it stays fixed through the day: the
fills since that close are undone at their own prices before the holdings are valued at the
close (selling a winner does not take its gain out of the day's P/L).

Buying power (documented simplification of Reg T margin with multiplier 2)::

    buying_power = max(0, 2 * equity - (long_market_value + |short_market_value|))

rounded down to the cent. A buy or sell is rejected with 403 "insufficient buying power" when
the part of it that opens or adds exposure, valued at the current price, exceeds that figure;
covering a short or selling a long never needs buying power. Cash may go negative (margin).
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

from pm.broker.demo.activities import History, activity_page, order_fill
from pm.broker.demo.fills import QTY_PLACES, apply_fill, held_qty, opening_qty, signed_qty
from pm.broker.demo.market_hours import as_utc, calendar, market_clock
from pm.broker.demo.prices import previous_close, previous_trading_day, price_on
from pm.broker.demo.seed import DEMO_ACCOUNT_ID, DEMO_ACCOUNT_NUMBER, DEMO_IDENTITY, seed_state
from pm.broker.demo.universe import UNIVERSE, Instrument, lookup
from pm.domain.errors import BrokerRejected, NotFound
from pm.domain.ledger import ACTIVITY_PAGE_SIZE, ActivityKind, ActivityPage, CashActivity, Fill
from pm.domain.models import (
    Account,
    Asset,
    CancelResult,
    CloseResult,
    MarketClock,
    Order,
    OrderRequest,
    OrderSide,
    Position,
    TradingDay,
)
from pm.domain.money import CENT, pct
from pm.domain.portfolio import DUST_QTY, holding_key, is_dust
from pm.ports import Clock, DemoHolding, DemoState, DemoStore

if TYPE_CHECKING:  # pm.domain.performance loads with the history (not for pm snapshot)
    from pm.domain.performance import HistoryPoint

__all__ = ["DEMO_ACCOUNT_ID", "MARGIN_MULTIPLIER", "DemoBroker"]

MARGIN_MULTIPLIER = Decimal(2)
#: The crypto pairs' smallest order and quantity step (Alpaca's real pairs have such limits too).
DEMO_CRYPTO_MIN_ORDER = Decimal("0.0001")
DEMO_CRYPTO_INCREMENT = Decimal("0.000000001")

_ORDER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pm.invalid/demo/orders")

# Alpaca's error codes, so the demo's rejections look like the real ones.
_CODE_FORBIDDEN = 40310000
_CODE_UNPROCESSABLE = 42210000
_CODE_INVALID = 40010001


class DemoBroker:
    """The simulated brokerage account; implements `pm.ports.Broker`."""

    def __init__(self, store: DemoStore, clock: Clock, history: History | None = None) -> None:
        self._store = store
        self._clock = clock
        # The seeded history (trades and deposits before the demo's own orders).
        self._history: History = history if history is not None else self._simulated_past

    # -- identity ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return "demo"

    @property
    def identity(self) -> str:
        return DEMO_IDENTITY

    @property
    def simulated(self) -> bool:
        return True

    # -- reads -------------------------------------------------------------------------------

    def get_account(self) -> Account:
        """Equity = cash + sum(qty x price) over non-dust holdings; last_equity as at the
        previous trading day's close (see the module doc)."""
        return self._account(self._read_state())

    def get_positions(self) -> list[Position]:
        """Every holding, dust included, sorted by symbol."""
        state = self._read_state()
        return self._positions(state, self._today())

    def get_position(self, symbol: str) -> Position:
        state = self._read_state()
        key = holding_key(symbol)
        holding = state.holdings.get(key)
        if holding is None:
            raise NotFound(f"no open position in {symbol}")
        return _position(holding, _instrument(key), self._today())

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        return self._store.find_order(DEMO_ACCOUNT_ID, client_order_id)

    def get_clock(self) -> MarketClock:
        return market_clock(self._clock.now())

    def get_calendar(self, start: date, end: date) -> list[TradingDay]:
        return calendar(start, end)

    def get_asset(self, symbol: str) -> Asset:
        instrument = lookup(symbol)
        if instrument is None:
            raise NotFound(f"asset {symbol} not found")
        return Asset(
            id=instrument.asset_id,
            symbol=instrument.order_symbol,
            name=instrument.name,
            asset_class=instrument.asset_class,
            exchange=instrument.exchange,
            tradable=True,
            shortable=not instrument.is_crypto,
            fractionable=True,
            min_order_size=DEMO_CRYPTO_MIN_ORDER if instrument.is_crypto else None,
            min_trade_increment=DEMO_CRYPTO_INCREMENT if instrument.is_crypto else None,
        )

    def _simulated_past(self) -> tuple[list[Fill], list[CashActivity]]:
        """The demo's history up to today: the fills that built the seed, round trips,
        deposits, dividends and fees (`pm.broker.demo.history`)."""
        from pm.broker.demo.history import cash_activities, fills

        today = self._today()
        return fills(DEMO_ACCOUNT_ID, today), cash_activities(DEMO_ACCOUNT_ID, today)

    def get_portfolio_history(self, start: date, end: date) -> list[HistoryPoint]:
        """The demo's simulated past (`history.equity_series`), every calendar day; today's
        point is the live account's equity (the history assumes the seed's holdings)."""
        from pm.broker.demo.history import equity_series
        from pm.domain.performance import HistoryPoint

        today = self._today()
        points = equity_series(DEMO_ACCOUNT_ID, start, min(end, today))
        if points and points[-1].day == today:
            live = self._account(self._read_state(), with_last_equity=False).equity
            cents = live.quantize(CENT, rounding=ROUND_HALF_EVEN)
            points[-1] = HistoryPoint(today, cents, points[-1].cashflow)
        return points

    def get_activities(
        self,
        kind: ActivityKind,
        *,
        page_token: str | None,
        after: date | None = None,
        page_size: int = ACTIVITY_PAGE_SIZE,
    ) -> ActivityPage:
        """The seeded history's activities, then a FILL activity per filled demo order."""
        seeded_fills, seeded_cash = self._history()
        fills = list(seeded_fills)
        if kind == "fill":
            epoch = datetime(1970, 1, 1, tzinfo=UTC)
            for order in self._store.fills_since(DEMO_ACCOUNT_ID, epoch):
                fill = order_fill(order)
                if fill is not None:
                    fills.append(fill)
        return activity_page(
            kind, fills, seeded_cash, page_token=page_token, after=after, page_size=page_size
        )

    # -- orders ------------------------------------------------------------------------------

    def submit_order(self, request: OrderRequest) -> Order:
        """Fill a market order at the current price, or return the order already filed
        under the same client_order_id (without filling again)."""
        existing = self._store.find_order(DEMO_ACCOUNT_ID, request.client_order_id)
        if existing is not None:
            return existing
        instrument = lookup(request.symbol)
        if instrument is None:
            raise NotFound(f"asset {request.symbol} not found")
        today = self._today()
        price = price_on(instrument, today)
        if not _fills_at(request, price):
            raise BrokerRejected(
                "demo account fills market orders and limit orders at or beyond the day's "
                f"price ({price}) only",
                status_code=422,
                code=_CODE_UNPROCESSABLE,
            )
        if (request.qty is None) == (request.notional is None):
            message = (
                "qty or notional is required"
                if request.qty is None
                else "only one of qty or notional is accepted"
            )
            raise BrokerRejected(message, status_code=422, code=_CODE_INVALID)
        if request.notional is not None:
            if request.notional <= 0:
                raise BrokerRejected(
                    "notional must be > 0", status_code=422, code=_CODE_UNPROCESSABLE
                )
            qty = (request.notional / price).quantize(QTY_PLACES, rounding=ROUND_DOWN)
            if qty == 0:
                raise BrokerRejected(
                    f"notional is too small to trade {instrument.order_symbol}",
                    status_code=422,
                    code=_CODE_UNPROCESSABLE,
                )
        else:
            qty = request.qty if request.qty is not None else Decimal(0)
            if qty <= 0:
                raise BrokerRejected("qty must be > 0", status_code=422, code=_CODE_UNPROCESSABLE)
        state, _ = self._load()
        order = self._fill(
            state,
            instrument,
            request.side,
            qty,
            price,
            client_order_id=request.client_order_id,
            ordered_qty=request.qty,
            notional=request.notional,
            order_type=request.type,
        )
        self._store.save(state, [order])
        return order

    def close_position(
        self, symbol: str, *, qty: Decimal | None = None, percentage: Decimal | None = None
    ) -> Order:
        """Sell a long (or buy back a short): all of it, `qty` units, or `percentage` (0-100]."""
        state, _ = self._load()
        key = holding_key(symbol)
        holding = state.holdings.get(key)
        if holding is None:
            raise NotFound(f"no open position in {symbol}")
        held = abs(holding.qty)
        if qty is not None and percentage is not None:
            raise BrokerRejected(
                "only one of qty or percentage is accepted", status_code=422, code=_CODE_INVALID
            )
        if qty is not None:
            if qty <= 0:
                raise BrokerRejected("qty must be > 0", status_code=422, code=_CODE_UNPROCESSABLE)
            if qty > held:
                raise BrokerRejected(
                    f"insufficient qty available for order (requested: {qty}, available: {held})",
                    status_code=403,
                    code=_CODE_FORBIDDEN,
                )
            amount = qty
        elif percentage is not None:
            if not 0 < percentage <= 100:
                raise BrokerRejected(
                    "percentage must be between 0 and 100",
                    status_code=422,
                    code=_CODE_UNPROCESSABLE,
                )
            amount = (
                held
                if percentage == 100
                else (held * percentage / 100).quantize(QTY_PLACES, rounding=ROUND_DOWN)
            )
            if amount == 0:
                raise BrokerRejected("qty must be > 0", status_code=422, code=_CODE_UNPROCESSABLE)
        else:
            amount = held
        order = self._close(state, holding, amount, taken=set())
        self._store.save(state, [order])
        return order

    def close_all_positions(self, *, cancel_orders: bool) -> list[CloseResult]:
        """Close every holding (dust too) in one save; the demo never fails partially.

        Demo orders fill at once, so there are never open orders and `cancel_orders` has
        nothing to cancel.
        """
        state, fresh = self._load()
        taken: set[str] = set()
        results: list[CloseResult] = []
        orders: list[Order] = []
        for symbol in sorted(state.holdings):
            holding = state.holdings[symbol]
            order = self._close(state, holding, abs(holding.qty), taken=taken)
            orders.append(order)
            results.append(CloseResult(symbol=symbol, status_code=200, order=order, error=None))
        if orders or fresh:
            self._store.save(state, orders)
        return results

    def list_orders(self, *, status: str = "open", limit: int = 500) -> list[Order]:
        """Demo orders fill at once: none is ever open; ``closed`` and ``all`` list them all."""
        if status == "open":
            return []
        return self._store.orders(DEMO_ACCOUNT_ID, limit)

    def cancel_order(self, order_id: str) -> None:
        """Every demo order is filled already: 422 "not cancelable", or 404 for no such id."""
        if any(o.id == order_id for o in self._store.orders(DEMO_ACCOUNT_ID, 100_000)):
            raise BrokerRejected(
                "order is not cancelable", status_code=422, code=_CODE_UNPROCESSABLE
            )
        raise NotFound(f"no open order {order_id}")

    def cancel_all_orders(self) -> list[CancelResult]:
        """No demo order is ever open, so there is nothing to cancel."""
        return []

    # -- the demo's own ----------------------------------------------------------------------

    def reset(self) -> Account:
        """Back to the starting account: holdings, cash and orders forgotten, the seed saved."""
        self._store.reset(DEMO_ACCOUNT_ID)
        return self._account(self._read_state())

    # -- internals ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return as_utc(self._clock.now())

    def _today(self) -> date:
        return self._now().date()

    def _load(self) -> tuple[DemoState, bool]:
        """A private copy of the stored state (or a fresh seed), and whether it was seeded."""
        stored = self._store.load(DEMO_ACCOUNT_ID)
        if stored is None:
            return seed_state(DEMO_ACCOUNT_ID), True
        return copy.deepcopy(stored), False

    def _read_state(self) -> DemoState:
        state, fresh = self._load()
        if fresh:
            self._store.save(state, [])
        return state

    def _positions(self, state: DemoState, today: date) -> list[Position]:
        return [
            _position(state.holdings[symbol], _instrument(symbol), today)
            for symbol in sorted(state.holdings)
        ]

    def _close(
        self, state: DemoState, holding: DemoHolding, amount: Decimal, *, taken: set[str]
    ) -> Order:
        instrument = _instrument(holding.symbol)
        side: OrderSide = "sell" if holding.qty > 0 else "buy"
        client_order_id = self._close_client_id(state, instrument, side, amount, taken)
        taken.add(client_order_id)
        price = price_on(instrument, self._today())
        return self._fill(
            state,
            instrument,
            side,
            amount,
            price,
            client_order_id=client_order_id,
            ordered_qty=amount,
            notional=None,
            check_buying_power=False,
        )

    def _close_client_id(
        self,
        state: DemoState,
        instrument: Instrument,
        side: OrderSide,
        amount: Decimal,
        taken: set[str],
    ) -> str:
        """A deterministic, unused client_order_id for a close (Alpaca would make a UUID)."""
        seed = f"{self._now().isoformat()}|{instrument.symbol}|{side}|{amount}|{state.cash}"
        n = 0
        while True:
            candidate = str(uuid.uuid5(_ORDER_NAMESPACE, f"{seed}|{n}"))
            if (
                candidate not in taken
                and self._store.find_order(DEMO_ACCOUNT_ID, candidate) is None
            ):
                return candidate
            n += 1

    def _fill(
        self,
        state: DemoState,
        instrument: Instrument,
        side: OrderSide,
        qty: Decimal,
        price: Decimal,
        *,
        client_order_id: str,
        ordered_qty: Decimal | None,
        notional: Decimal | None,
        check_buying_power: bool = True,
        order_type: str = "market",
    ) -> Order:
        held = held_qty(state, instrument.symbol)
        if instrument.is_crypto and side == "sell" and qty > max(held, Decimal(0)):
            base = instrument.order_symbol.split("/")[0]
            raise BrokerRejected(
                f"insufficient balance for {base} "
                f"(requested: {qty}, available: {max(held, Decimal(0))})",
                status_code=403,
                code=_CODE_FORBIDDEN,
            )
        if check_buying_power:
            account = self._account(state, with_last_equity=False)
            cost = opening_qty(held, side, qty) * price
            if cost > account.buying_power:
                raise BrokerRejected(
                    "insufficient buying power", status_code=403, code=_CODE_FORBIDDEN
                )
        apply_fill(state, instrument, side, qty, price)
        now = self._now()
        return Order(
            id=str(uuid.uuid5(_ORDER_NAMESPACE, f"{state.account_id}|{client_order_id}")),
            client_order_id=client_order_id,
            symbol=instrument.order_symbol,
            side=side,
            type=order_type,
            status="filled",
            qty=ordered_qty,
            notional=notional,
            filled_qty=qty,
            filled_avg_price=price,
            submitted_at=now,
            filled_at=now,
        )

    def _account(self, state: DemoState, *, with_last_equity: bool = True) -> Account:
        """The account figures of the positions pm shows (see the module doc on dust)."""
        today = self._today()
        values = [p.market_value for p in self._positions(state, today) if not is_dust(p)]
        long_mv = sum((mv for mv in values if mv > 0), Decimal(0))
        short_mv = sum((mv for mv in values if mv < 0), Decimal(0))
        equity = state.cash + long_mv + short_mv
        return Account(
            account_id=DEMO_ACCOUNT_ID,
            account_number=DEMO_ACCOUNT_NUMBER,
            status="ACTIVE",
            currency="USD",
            equity=equity,
            last_equity=self._last_equity(state, today) if with_last_equity else equity,
            cash=state.cash,
            buying_power=_buying_power(equity, long_mv, short_mv),
            long_market_value=long_mv,
            short_market_value=short_mv,
        )

    def _last_equity(self, state: DemoState, today: date) -> Decimal:
        """Equity at the previous trading day's close: the fills since then undone at their
        own prices, then the holdings valued at that close."""
        since = datetime.combine(previous_trading_day(today) + timedelta(days=1), time(), UTC)
        value = state.cash
        for holding in state.holdings.values():
            if abs(holding.qty) >= DUST_QTY:
                value += holding.qty * previous_close(_instrument(holding.symbol), today)
        for fill in self._store.fills_since(DEMO_ACCOUNT_ID, since):
            instrument = lookup(fill.symbol)
            if instrument is None or fill.filled_avg_price is None:
                continue
            moved = signed_qty(fill.side, fill.filled_qty)
            paid = (moved * fill.filled_avg_price).quantize(CENT, rounding=ROUND_HALF_EVEN)
            value += paid - moved * previous_close(instrument, today)
        return value


def _fills_at(request: OrderRequest, price: Decimal) -> bool:
    """Whether the demo fills `request` at once at `price`: a market order, or a limit order
    at or beyond it (pm's `--limit-slippage-bps` orders); it keeps no resting orders."""
    if request.type == "market":
        return True
    if request.type != "limit" or request.limit_price is None:
        return False
    return request.limit_price >= price if request.side == "buy" else request.limit_price <= price


def _instrument(symbol: str) -> Instrument:
    instrument = UNIVERSE.get(symbol)
    if instrument is None:  # a stored holding outside today's universe: a bug or an old state
        raise NotFound(f"asset {symbol} not found")
    return instrument


def _buying_power(equity: Decimal, long_mv: Decimal, short_mv: Decimal) -> Decimal:
    gross = long_mv - short_mv
    raw = MARGIN_MULTIPLIER * equity - gross
    return max(Decimal(0), raw).quantize(CENT, rounding=ROUND_DOWN)


def _position(holding: DemoHolding, instrument: Instrument, today: date) -> Position:
    price = price_on(instrument, today)
    market_value = holding.qty * price
    cost_basis = holding.qty * holding.avg_entry_price
    unrealized = market_value - cost_basis
    plpc = pct(unrealized, abs(cost_basis))
    return Position(
        asset_id=holding.asset_id,
        symbol=holding.symbol,
        qty=holding.qty,
        side="long" if holding.qty > 0 else "short",
        asset_class=holding.asset_class,
        avg_entry_price=holding.avg_entry_price,
        current_price=price,
        market_value=market_value,
        cost_basis=cost_basis,
        unrealized_pl=unrealized,
        unrealized_pl_pct=Decimal(0) if plpc is None else plpc,
        qty_available=holding.qty,  # demo orders fill at once: none is held for open orders
    )

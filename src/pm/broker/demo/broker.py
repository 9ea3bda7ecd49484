"""`DemoBroker`: the built-in simulated account behind ``pm --demo``.

No network, no credentials, deterministic prices (see `prices`), market orders that fill at
once. State lives in a `DemoStore` under `DEMO_ACCOUNT_ID`; the first use seeds it (see `seed`).

Persistence rule: every operation that changes the book calls ``store.save`` exactly once
(one transaction in the SQL store). A read that finds no book seeds it and saves the seed; an
order that is rejected saves nothing.

Buying power (documented simplification of Reg T margin with multiplier 2)::

    buying_power = max(0, 2 * equity - (long_market_value + |short_market_value|))

rounded down to the cent. A buy or sell is rejected with 403 "insufficient buying power" when
the part of it that opens or adds exposure, valued at the current price, exceeds that figure;
covering a short or selling a long never needs buying power. Cash may go negative (margin).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal

from pm.broker.demo.book import DemoBook, DemoStore, Holding
from pm.broker.demo.fills import QTY_PLACES, apply_fill, held_qty, opening_qty
from pm.broker.demo.market_hours import as_utc, calendar, market_clock
from pm.broker.demo.prices import previous_close, price_on
from pm.broker.demo.seed import DEMO_ACCOUNT_ID, DEMO_ACCOUNT_NUMBER, DEMO_IDENTITY, seed_book
from pm.broker.demo.universe import UNIVERSE, Instrument, lookup
from pm.domain.errors import BrokerRejected, NotFound
from pm.domain.models import (
    Account,
    Asset,
    CloseResult,
    MarketClock,
    Order,
    OrderRequest,
    OrderSide,
    Position,
    TradingDay,
)
from pm.domain.money import CENT, pct
from pm.domain.portfolio import holding_key
from pm.ports import Clock

__all__ = ["DEMO_ACCOUNT_ID", "MARGIN_MULTIPLIER", "DemoBroker"]

MARGIN_MULTIPLIER = Decimal(2)

_ORDER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pm.invalid/demo/orders")

# Alpaca's error codes, so the demo's rejections look like the real ones.
_CODE_FORBIDDEN = 40310000
_CODE_UNPROCESSABLE = 42210000
_CODE_INVALID = 40010001


@dataclass(frozen=True, slots=True)
class _Valued:
    position: Position
    previous_value: Decimal


class DemoBroker:
    """The simulated brokerage account; implements `pm.ports.Broker`."""

    def __init__(self, store: DemoStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

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

    @property
    def account_id(self) -> str:
        return DEMO_ACCOUNT_ID

    # -- reads -------------------------------------------------------------------------------

    def get_account(self) -> Account:
        """Equity = cash + sum(qty x price); last_equity uses the previous trading day's prices."""
        return self._account(self._read_book())

    def get_positions(self) -> list[Position]:
        """Every holding, dust included, sorted by symbol."""
        book = self._read_book()
        return [v.position for v in self._value(book, self._today())]

    def get_position(self, symbol: str) -> Position:
        book = self._read_book()
        key = holding_key(symbol)
        holding = book.holdings.get(key)
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
        if request.type != "market":
            raise BrokerRejected(
                "demo account fills market orders only",
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
        today = self._today()
        price = price_on(instrument, today)
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
        book, _ = self._load()
        order = self._fill(
            book,
            instrument,
            request.side,
            qty,
            price,
            client_order_id=request.client_order_id,
            ordered_qty=request.qty,
            notional=request.notional,
        )
        self._store.save(book, [order])
        return order

    def close_position(
        self, symbol: str, *, qty: Decimal | None = None, percentage: Decimal | None = None
    ) -> Order:
        """Sell a long (or buy back a short): all of it, `qty` units, or `percentage` (0-100]."""
        book, _ = self._load()
        key = holding_key(symbol)
        holding = book.holdings.get(key)
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
        order = self._close(book, holding, amount, taken=set())
        self._store.save(book, [order])
        return order

    def close_all_positions(self, *, cancel_orders: bool) -> list[CloseResult]:
        """Close every holding (dust too) in one save; the demo never fails partially.

        Demo orders fill at once, so there are never open orders and `cancel_orders` has
        nothing to cancel.
        """
        book, fresh = self._load()
        taken: set[str] = set()
        results: list[CloseResult] = []
        orders: list[Order] = []
        for symbol in sorted(book.holdings):
            holding = book.holdings[symbol]
            order = self._close(book, holding, abs(holding.qty), taken=taken)
            orders.append(order)
            results.append(CloseResult(symbol=symbol, status_code=200, order=order, error=None))
        if orders or fresh:
            self._store.save(book, orders)
        return results

    # -- internals ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        return as_utc(self._clock.now())

    def _today(self) -> date:
        return self._now().date()

    def _load(self) -> tuple[DemoBook, bool]:
        """A private copy of the stored book (or a fresh seed), and whether it was seeded."""
        stored = self._store.load(DEMO_ACCOUNT_ID)
        if stored is None:
            return seed_book(DEMO_ACCOUNT_ID), True
        return copy.deepcopy(stored), False

    def _read_book(self) -> DemoBook:
        book, fresh = self._load()
        if fresh:
            self._store.save(book, [])
        return book

    def _value(self, book: DemoBook, today: date) -> list[_Valued]:
        valued: list[_Valued] = []
        for symbol in sorted(book.holdings):
            holding = book.holdings[symbol]
            instrument = _instrument(symbol)
            valued.append(
                _Valued(
                    position=_position(holding, instrument, today),
                    previous_value=holding.qty * previous_close(instrument, today),
                )
            )
        return valued

    def _close(
        self, book: DemoBook, holding: Holding, amount: Decimal, *, taken: set[str]
    ) -> Order:
        instrument = _instrument(holding.symbol)
        side: OrderSide = "sell" if holding.qty > 0 else "buy"
        client_order_id = self._close_client_id(book, instrument, side, amount, taken)
        taken.add(client_order_id)
        price = price_on(instrument, self._today())
        return self._fill(
            book,
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
        book: DemoBook,
        instrument: Instrument,
        side: OrderSide,
        amount: Decimal,
        taken: set[str],
    ) -> str:
        """A deterministic, unused client_order_id for a close (Alpaca would make a UUID)."""
        seed = f"{self._now().isoformat()}|{instrument.symbol}|{side}|{amount}|{book.cash}"
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
        book: DemoBook,
        instrument: Instrument,
        side: OrderSide,
        qty: Decimal,
        price: Decimal,
        *,
        client_order_id: str,
        ordered_qty: Decimal | None,
        notional: Decimal | None,
        check_buying_power: bool = True,
    ) -> Order:
        held = held_qty(book, instrument.symbol)
        if instrument.is_crypto and side == "sell" and qty > max(held, Decimal(0)):
            base = instrument.order_symbol.split("/")[0]
            raise BrokerRejected(
                f"insufficient balance for {base} "
                f"(requested: {qty}, available: {max(held, Decimal(0))})",
                status_code=403,
                code=_CODE_FORBIDDEN,
            )
        if check_buying_power:
            account = self._account(book)
            cost = opening_qty(held, side, qty) * price
            if cost > account.buying_power:
                raise BrokerRejected(
                    "insufficient buying power", status_code=403, code=_CODE_FORBIDDEN
                )
        apply_fill(book, instrument, side, qty, price)
        now = self._now()
        return Order(
            id=str(uuid.uuid5(_ORDER_NAMESPACE, f"{book.account_id}|{client_order_id}")),
            client_order_id=client_order_id,
            symbol=instrument.order_symbol,
            side=side,
            type="market",
            status="filled",
            qty=ordered_qty,
            notional=notional,
            filled_qty=qty,
            filled_avg_price=price,
            submitted_at=now,
            filled_at=now,
        )

    def _account(self, book: DemoBook) -> Account:
        valued = self._value(book, self._today())
        values = [v.position.market_value for v in valued]
        long_mv = sum((mv for mv in values if mv > 0), Decimal(0))
        short_mv = sum((mv for mv in values if mv < 0), Decimal(0))
        equity = book.cash + long_mv + short_mv
        return Account(
            account_id=DEMO_ACCOUNT_ID,
            account_number=DEMO_ACCOUNT_NUMBER,
            status="ACTIVE",
            currency="USD",
            equity=equity,
            last_equity=book.cash + sum((v.previous_value for v in valued), Decimal(0)),
            cash=book.cash,
            buying_power=_buying_power(equity, long_mv, short_mv),
            long_market_value=long_mv,
            short_market_value=short_mv,
        )


def _instrument(symbol: str) -> Instrument:
    instrument = UNIVERSE.get(symbol)
    if instrument is None:  # a stored holding outside today's universe: a bug or an old book
        raise NotFound(f"asset {symbol} not found")
    return instrument


def _buying_power(equity: Decimal, long_mv: Decimal, short_mv: Decimal) -> Decimal:
    gross = long_mv - short_mv
    raw = MARGIN_MULTIPLIER * equity - gross
    return max(Decimal(0), raw).quantize(CENT, rounding=ROUND_DOWN)


def _position(holding: Holding, instrument: Instrument, today: date) -> Position:
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
    )

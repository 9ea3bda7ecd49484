"""The demo account's past: the fills that built the seed's holdings, a stream of closed round
trips, deposits, a yearly withdrawal, dividends and fees, and the daily equity they give.

Everything is a function of the calendar, like the demo's prices: events sit on a fixed grid
that starts at `EPOCH`, so an event has the same id whatever day it is asked for, and asking
again later only adds the events since (loading them into the ledger twice changes nothing).

- The seed's holdings (`seed.SEED_HOLDINGS`) were opened one a day from `EPOCH` at their
  average entry price (one fill each, so FIFO gives back the seed's average), and are held
  since.
- Every `TRIP_EVERY` days a round trip in a symbol the seed does not hold (META, KO, ETHUSD;
  one in five a KO short) is opened for about $6,000 at that day's demo price and closed
  `TRIP_HOLDS` days later at that day's price, so wins and losses follow the prices. A trip
  still open on the asked day is left out whole, so the holdings on that day are always the
  seed's.
- Deposits (CSD) of $2,500 on the first weekday of each month, a $4,000 withdrawal (CSW) on the
  first weekday from 20 June, quarterly dividends (DIV) on four of the seed's stocks, and a
  regulatory fee (FEE, sub-type REG) on each equity sale.
- Cash on the asked day is the seed's cash (`SEED_CASH`); on earlier days it is that minus
  what the later events brought in. Equity at a day's close = cash + the holdings at that day's
  demo prices (dust is worth nothing, as in the demo broker). If the simulated account traded
  since it was seeded, the live account differs from this history by those trades.

Fill ids take Alpaca's form ``<America/New_York time YYYYMMDDHHMMSSmmm>::<uuid>``; cash
activity ids ``<YYYYMMDD>000000000::<uuid>``, as Alpaca's non-trade activities.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from pm.broker.demo.activities import cash_activity_id, fill_activity_id
from pm.broker.demo.market_hours import is_trading_day
from pm.broker.demo.prices import price_on
from pm.broker.demo.seed import DEMO_ACCOUNT_ID, SEED_CASH, SEED_HOLDINGS
from pm.broker.demo.universe import UNIVERSE, Instrument
from pm.domain.ledger import CashActivity, Fill
from pm.domain.market_calendar import MARKET_TZ
from pm.domain.models import OrderSide
from pm.domain.money import CENT
from pm.domain.portfolio import DUST_QTY

if TYPE_CHECKING:  # loaded by equity_series: the ledger sync (pm snapshot) needs only the events
    from pm.domain.performance import HistoryPoint

EPOCH = date(2024, 1, 2)
TRIP_EVERY = 11
TRIP_START = EPOCH + timedelta(days=30)
TRIP_SYMBOLS = ("META", "KO", "ETHUSD", "META", "KO")
TRIP_HOLDS = (6, 13, 9, 20)
TRIP_VALUE = Decimal(6000)
DEPOSIT = Decimal("2500.00")
WITHDRAWAL = Decimal("-4000.00")
#: quarterly dividend per share, paid on the 15th of February, May, August and November
DIVIDENDS = {"JNJ": Decimal("1.24"), "XOM": Decimal("0.99"), "PG": Decimal("1.01"),
             "JPM": Decimal("1.25")}  # fmt: skip
DIVIDEND_MONTHS = (2, 5, 8, 11)
FEE_RATE = Decimal("0.0000278")

_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "https://pm.invalid/demo/history")


@dataclass(frozen=True, slots=True)
class _Event:
    day: date
    cash: Decimal  # what it adds to cash
    fills: tuple[Fill, ...] = ()
    activity: CashActivity | None = None
    holding: tuple[str, Decimal, date] | None = None  # a trip: symbol, signed qty, closed on


def _weekday_on_or_after(day: date) -> date:
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


def _trading_day(instrument: Instrument, day: date) -> date:
    return day if instrument.is_crypto else _weekday_on_or_after(day)


def _fill(symbol: str, side: OrderSide, qty: Decimal, price: Decimal, at: datetime) -> Fill:
    key = f"fill|{symbol}|{side}|{at.isoformat()}"
    return Fill(
        fill_id=fill_activity_id(at, key),
        symbol=symbol,
        side=side,
        qty=qty,
        price=price,
        transaction_time=at,
        source="activity",
        broker_order_id=str(uuid.uuid5(_IDS, f"order|{key}")),
    )


def _at(day: date, minutes: int) -> datetime:
    """10:00 New York plus `minutes`, in UTC (milliseconds from the minutes, so ids vary)."""
    local = datetime.combine(day, time(10, 0), MARKET_TZ) + timedelta(
        minutes=minutes, milliseconds=(minutes * 37) % 1000
    )
    return local.astimezone(UTC)


def _cash(day: date, kind: str, amount: Decimal, **extra: object) -> CashActivity:
    key = f"cash|{kind}|{day.isoformat()}|{extra.get('symbol', '')}|{extra.get('sub', '')}"
    sub = extra.get("sub")
    symbol = extra.get("symbol")
    qty = extra.get("qty")
    per_share = extra.get("per_share")
    descriptions = {"CSD": "ACH deposit", "CSW": "ACH withdrawal", "DIV": "cash dividend",
                    "FEE": "regulatory fee"}  # fmt: skip
    return CashActivity(
        activity_id=cash_activity_id(day, key),
        activity_type=kind,
        date=day,
        net_amount=amount,
        activity_sub_type=sub if isinstance(sub, str) else None,
        symbol=symbol if isinstance(symbol, str) else None,
        qty=qty if isinstance(qty, Decimal) else None,
        per_share_amount=per_share if isinstance(per_share, Decimal) else None,
        description=descriptions[kind],
        status="executed",
    )


def _seed_events() -> list[_Event]:
    events = []
    for i, (symbol, qty, avg) in enumerate(SEED_HOLDINGS):
        day = _trading_day(UNIVERSE[symbol], EPOCH + timedelta(days=i))
        side: OrderSide = "buy" if qty > 0 else "sell"
        fill = _fill(symbol, side, abs(qty), avg, _at(day, 5 * i))
        paid = (qty * avg).quantize(CENT, rounding=ROUND_HALF_EVEN)
        events.append(_Event(day, -paid, fills=(fill,)))
    return events


def _seed_opened() -> dict[str, date]:
    return {e.fills[0].symbol: e.day for e in _seed_events()}


def _fee(day: date, symbol: str, qty: Decimal, price: Decimal) -> _Event:
    amount = -max(CENT, (qty * price * FEE_RATE).quantize(CENT, rounding=ROUND_HALF_EVEN))
    return _Event(day, amount, activity=_cash(day, "FEE", amount, symbol=symbol, sub="REG"))


def _trip(n: int) -> list[_Event]:
    symbol = TRIP_SYMBOLS[n % len(TRIP_SYMBOLS)]
    instrument = UNIVERSE[symbol]
    opened = _trading_day(instrument, TRIP_START + timedelta(days=TRIP_EVERY * n))
    closed = _trading_day(instrument, opened + timedelta(days=TRIP_HOLDS[n % len(TRIP_HOLDS)]))
    open_price, close_price = price_on(instrument, opened), price_on(instrument, closed)
    places = Decimal("0.0001") if instrument.is_crypto else Decimal(1)
    qty = (TRIP_VALUE / open_price).quantize(places, rounding=ROUND_DOWN)
    short = n % 5 == 4
    first: OrderSide = "sell" if short else "buy"
    second: OrderSide = "buy" if short else "sell"
    sign = -1 if short else 1
    opening = _fill(symbol, first, qty, open_price, _at(opened, 30 + n % 60))
    closing = _fill(symbol, second, qty, close_price, _at(closed, 120 + n % 90))
    events = [
        _Event(
            opened,
            -(sign * qty * open_price).quantize(CENT, rounding=ROUND_HALF_EVEN),
            fills=(opening,),
            holding=(symbol, sign * qty, closed),
        ),
        _Event(
            closed,
            (sign * qty * close_price).quantize(CENT, rounding=ROUND_HALF_EVEN),
            fills=(closing,),
        ),
    ]
    sold = opened if short else closed
    if not instrument.is_crypto:
        events.append(_fee(sold, symbol, qty, open_price if short else close_price))
    return events


def _monthly(until: date) -> list[_Event]:
    events: list[_Event] = []
    opened = _seed_opened()
    month = date(EPOCH.year, EPOCH.month, 1)
    while month <= until:
        deposit_day = _weekday_on_or_after(month)
        if deposit_day > EPOCH:
            events.append(_Event(deposit_day, DEPOSIT, activity=_cash(deposit_day, "CSD", DEPOSIT)))
        if month.month == 6:
            day = _weekday_on_or_after(month.replace(day=20))
            events.append(_Event(day, WITHDRAWAL, activity=_cash(day, "CSW", WITHDRAWAL)))
        if month.month in DIVIDEND_MONTHS:
            day = _weekday_on_or_after(month.replace(day=15))
            for symbol, per_share in DIVIDENDS.items():
                if opened[symbol] >= day:
                    continue
                qty = next(q for s, q, _ in SEED_HOLDINGS if s == symbol)
                amount = (qty * per_share).quantize(CENT, rounding=ROUND_HALF_EVEN)
                activity = _cash(
                    day, "DIV", amount, symbol=symbol, qty=qty, per_share=per_share, sub="CDIV"
                )
                events.append(_Event(day, amount, activity=activity))
        month = (month + timedelta(days=32)).replace(day=1)
    return events


@lru_cache(maxsize=8)
def _events(until: date) -> tuple[_Event, ...]:
    """Every event on or before `until`, oldest first (trips still open then left out)."""
    events = [e for e in _seed_events() if e.day <= until]
    n = 0
    while True:
        trip = _trip(n)
        if trip[0].day > until:
            break
        if trip[1].day <= until:
            events += [e for e in trip if e.day <= until]
        n += 1
    events += [e for e in _monthly(until) if e.day <= until]
    events.sort(key=lambda e: e.day)
    return tuple(events)


def fills(account_id: str, until: date) -> list[Fill]:
    """The demo account's fills up to and including `until`, oldest first."""
    if account_id != DEMO_ACCOUNT_ID:
        return []
    found = [f for e in _events(until) for f in e.fills]
    return sorted(found, key=lambda f: (f.transaction_time, f.fill_id))


def cash_activities(account_id: str, until: date) -> list[CashActivity]:
    """Deposits, the withdrawals, dividends and fees up to `until`, oldest first."""
    if account_id != DEMO_ACCOUNT_ID:
        return []
    found = [e.activity for e in _events(until) if e.activity is not None]
    return sorted(found, key=lambda a: (a.date, a.activity_id))


def equity_series(account_id: str, start: date, until: date) -> list[HistoryPoint]:
    """The demo account's equity at every calendar day's close from `start` to `until` (it
    holds bitcoin, which trades every day), with each day's cash activities by type."""
    from pm.domain.performance import HistoryPoint

    if account_id != DEMO_ACCOUNT_ID or until < start:
        return []
    events = _events(until)
    first_day = max(start, *_seed_opened().values())
    cash = SEED_CASH - sum((e.cash for e in events if e.day >= first_day), Decimal(0))
    by_day: dict[date, list[_Event]] = {}
    for e in events:
        if e.day >= first_day:
            by_day.setdefault(e.day, []).append(e)
    held = [(s, q, UNIVERSE[s]) for s, q, _ in SEED_HOLDINGS if abs(q) >= DUST_QTY]
    trips = [
        (e.holding[0], e.holding[1], e.day, e.holding[2])
        for e in events
        if e.holding is not None and e.holding[2] > first_day
    ]
    points: list[HistoryPoint] = []
    day = first_day
    while day <= until:
        flows: dict[str, Decimal] = {}
        for e in by_day.get(day, ()):
            cash += e.cash
            if e.activity is not None:
                kind = e.activity.activity_type
                flows[kind] = flows.get(kind, Decimal(0)) + e.activity.net_amount
        value = cash + sum((q * price_on(i, day) for _, q, i in held), Decimal(0))
        for symbol, qty, opened, closed in trips:
            if opened <= day < closed:
                value += qty * price_on(UNIVERSE[symbol], day)
        points.append(HistoryPoint(day, value.quantize(CENT, rounding=ROUND_HALF_EVEN), flows))
        day += timedelta(days=1)
    return points

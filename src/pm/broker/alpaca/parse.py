"""Alpaca wire dicts to domain types: the one place where the wire format is interpreted.

Plain functions over the decoded JSON (decoded with ``parse_float=Decimal`` by the transport,
so no number passes through float). Any missing field, wrong type or non-numeric money raises
`MalformedResponse`, which the adapter reports as a broker failure.

Numbers that cannot be true are malformed too, so they never reach the screen or the database:
non-finite values, more than `MAX_INTEGER_DIGITS` digits before the point (``"1e400"``),
negative prices, a quantity whose sign contradicts the position's side (a long with a
negative qty, a short with a positive one), and a symbol listed twice in a positions list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from pm.domain.market_calendar import MARKET_TZ
from pm.domain.models import (
    Account,
    Asset,
    CancelResult,
    CloseResult,
    MarketClock,
    Order,
    OrderSide,
    Position,
    PositionSide,
    TradingDay,
)
from pm.domain.money import parse_decimal
from pm.domain.performance import HistoryPoint
from pm.domain.portfolio import holding_key

_SIDES_POSITION: dict[object, PositionSide] = {"long": "long", "short": "short"}
_SIDES_ORDER: dict[object, OrderSide] = {"buy": "buy", "sell": "sell"}
_ASSET_CLASSES = {name: name for name in ("us_equity", "us_option", "crypto")}


#: No amount, price or quantity pm can meet has more digits before the point.
MAX_INTEGER_DIGITS = 18


class MalformedResponse(ValueError):
    """The broker's reply did not have the documented shape."""


def _sane(value: Decimal) -> bool:
    """Finite and at most `MAX_INTEGER_DIGITS` digits before the point."""
    return value.is_finite() and (value.is_zero() or value.adjusted() < MAX_INTEGER_DIGITS)


def _checked(value: Decimal, field: str) -> Decimal:
    if not value.is_finite():
        raise MalformedResponse(f"{field}: not a finite number: {value}")
    if not _sane(value):
        raise MalformedResponse(
            f"{field}: {value:.3E} is out of range (more than {MAX_INTEGER_DIGITS} digits "
            "before the point)"
        )
    return value


def _obj(raw: object, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise MalformedResponse(f"{what}: expected an object, got {type(raw).__name__}")
    return raw


def _list(raw: object, what: str) -> list[Any]:
    if not isinstance(raw, list):
        raise MalformedResponse(f"{what}: expected a list, got {type(raw).__name__}")
    return raw


def _field(d: dict[str, Any], key: str, what: str) -> Any:
    try:
        return d[key]
    except KeyError:
        raise MalformedResponse(f"{what}: missing field {key!r}") from None


def _str(d: dict[str, Any], key: str, what: str) -> str:
    value = _field(d, key, what)
    if not isinstance(value, str):
        raise MalformedResponse(f"{what}.{key}: expected a string, got {type(value).__name__}")
    return value


def _symbol(d: dict[str, Any], what: str) -> str:
    """A symbol with any stray whitespace around it removed (" AAPL" is AAPL)."""
    value = _str(d, "symbol", what).strip()
    if not value or any(c.isspace() for c in value):
        raise MalformedResponse(f"{what}.symbol: not a symbol: {value[:40]!r}")
    return value


def _bool(d: dict[str, Any], key: str, what: str) -> bool:
    value = _field(d, key, what)
    if not isinstance(value, bool):
        raise MalformedResponse(f"{what}.{key}: expected a boolean, got {type(value).__name__}")
    return value


def _dec(d: dict[str, Any], key: str, what: str) -> Decimal:
    value = _field(d, key, what)
    if type(value) is str:  # the common case, kept cheap for 10k-position accounts
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise MalformedResponse(f"{what}.{key}: not a number: {value[:40]!r}") from None
        if _sane(result):
            return result
    try:
        parsed = parse_decimal(value, f"{what}.{key}")
    except ValueError as exc:
        raise MalformedResponse(str(exc)) from None
    return _checked(parsed, f"{what}.{key}")


def _price(d: dict[str, Any], key: str, what: str) -> Decimal:
    """A price: a number, and never negative."""
    value = _dec(d, key, what)
    if value < 0:
        raise MalformedResponse(f"{what}.{key}: a price cannot be negative: {value}")
    return value


def _opt_nonneg(d: dict[str, Any], key: str, what: str) -> Decimal | None:
    value = _opt_dec(d, key, what)
    if value is not None and value < 0:
        raise MalformedResponse(f"{what}.{key}: cannot be negative: {value}")
    return value


def _opt_bool(d: dict[str, Any], key: str, what: str, default: bool | None) -> bool | None:
    if d.get(key) is None:
        return default
    return _bool(d, key, what)


def _opt_count(d: dict[str, Any], key: str, what: str) -> int | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MalformedResponse(f"{what}.{key}: expected a count, got {type(value).__name__}")
    try:
        count = int(value)
    except ValueError:
        raise MalformedResponse(f"{what}.{key}: not a count: {str(value)[:20]!r}") from None
    if not 0 <= count < 1_000_000:
        raise MalformedResponse(f"{what}.{key}: not a count: {count}")
    return count


def _signed_qty(qty: Decimal, side: PositionSide, field: str) -> Decimal:
    """A position's quantity agrees with its side: a long is >= 0, a short <= 0."""
    if (side == "long" and qty < 0) or (side == "short" and qty > 0):
        raise MalformedResponse(f"{field}: a {side} position with qty {qty}")
    return qty


def _opt_dec(d: dict[str, Any], key: str, what: str) -> Decimal | None:
    value = d.get(key)
    if value is None or value == "":
        return None
    return _dec(d, key, what)


def parse_timestamp(value: object, what: str = "timestamp") -> datetime:
    """ISO 8601 (``Z`` or an offset, up to nanoseconds) to an aware UTC datetime (microseconds,
    truncated)."""
    if not isinstance(value, str):
        raise MalformedResponse(f"{what}: expected a timestamp string, got {type(value).__name__}")
    text = value
    dot = text.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        if end - dot > 7:  # more than microseconds: truncate, never round into the next second
            text = text[: dot + 7] + text[end:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedResponse(f"{what}: not an ISO 8601 timestamp: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise MalformedResponse(f"{what}: timestamp without a timezone: {value[:40]!r}")
    return parsed.astimezone(UTC)


def _ts(d: dict[str, Any], key: str, what: str) -> datetime:
    return parse_timestamp(_field(d, key, what), f"{what}.{key}")


def _opt_ts(d: dict[str, Any], key: str, what: str) -> datetime | None:
    value = d.get(key)
    if value is None or value == "":
        return None
    return parse_timestamp(value, f"{what}.{key}")


def parse_account(raw: object) -> Account:
    """GET /v2/account (with or without the PDT fields that left on 2026-07-06)."""
    w = "account"
    d = _obj(raw, w)
    return Account(
        account_id=_str(d, "id", w),
        account_number=_str(d, "account_number", w),
        status=_str(d, "status", w),
        currency=_str(d, "currency", w),
        equity=_dec(d, "equity", w),
        last_equity=_dec(d, "last_equity", w),
        cash=_dec(d, "cash", w),
        buying_power=_dec(d, "buying_power", w),
        long_market_value=_dec(d, "long_market_value", w),
        short_market_value=_dec(d, "short_market_value", w),
        trading_blocked=bool(_opt_bool(d, "trading_blocked", w, False)),
        account_blocked=bool(_opt_bool(d, "account_blocked", w, False)),
        trade_suspended_by_user=bool(_opt_bool(d, "trade_suspended_by_user", w, False)),
        shorting_enabled=bool(_opt_bool(d, "shorting_enabled", w, True)),
        pattern_day_trader=_opt_bool(d, "pattern_day_trader", w, None),
        daytrade_count=_opt_count(d, "daytrade_count", w),
    )


def parse_position(raw: object, what: str = "position") -> Position:
    """One position; a short keeps its negative qty, market value and cost basis.

    `unrealized_pl_pct` is in percent units: Alpaca's ``unrealized_plpc`` is a fraction.
    """
    d = _obj(raw, what)
    side = _SIDES_POSITION.get(d.get("side"))
    if side is None:
        raise MalformedResponse(f"{what}.side: expected 'long' or 'short', got {d.get('side')!r}")
    available = _opt_dec(d, "qty_available", what)
    return Position(
        asset_id=_str(d, "asset_id", what),
        symbol=_symbol(d, what),
        qty=_signed_qty(_dec(d, "qty", what), side, f"{what}.qty"),
        side=side,
        asset_class=_str(d, "asset_class", what),
        avg_entry_price=_price(d, "avg_entry_price", what),
        current_price=_price(d, "current_price", what),
        market_value=_dec(d, "market_value", what),
        cost_basis=_dec(d, "cost_basis", what),
        unrealized_pl=_dec(d, "unrealized_pl", what),
        unrealized_pl_pct=_dec(d, "unrealized_plpc", what).scaleb(2),
        qty_available=(
            None if available is None else _signed_qty(available, side, f"{what}.qty_available")
        ),
    )


def _position_fast(d: Any) -> Position | None:
    """The well-formed case without per-field bookkeeping; None sends it to `parse_position`."""
    try:
        asset_id, symbol, asset_class = d["asset_id"], d["symbol"], d["asset_class"]
        q, a, c = d["qty"], d["avg_entry_price"], d["current_price"]
        m, b, u, p = d["market_value"], d["cost_basis"], d["unrealized_pl"], d["unrealized_plpc"]
        side = _SIDES_POSITION[d["side"]]
    except (KeyError, TypeError):
        return None
    if not (
        type(asset_id) is str
        and type(symbol) is str
        and type(asset_class) is str
        and type(q) is str
        and type(a) is str
        and type(c) is str
        and type(m) is str
        and type(b) is str
        and type(u) is str
        and type(p) is str
    ):
        return None
    try:
        qty, avg, cur, mv, cb, upl, ppc = (
            Decimal(q),
            Decimal(a),
            Decimal(c),
            Decimal(m),
            Decimal(b),
            Decimal(u),
            Decimal(p),
        )
    except InvalidOperation:
        return None
    # With both prices >= 0 every term is >= 0, so the total bounds each one: one finite
    # total under the limit means no NaN, no infinity and no value of 19 integer digits.
    total = abs(qty) + avg + cur + abs(mv) + abs(cb) + abs(upl) + abs(ppc)
    if not total.is_finite() or avg < 0 or cur < 0 or total >= _LIMIT:
        return None  # `parse_position` says what is wrong
    if qty.is_signed() != (side == "short"):
        return None  # a qty against its side (or a short of "0"): `parse_position` decides
    if symbol != symbol.strip() or not symbol:
        return None  # `parse_position` tidies or rejects it
    available = d.get("qty_available")
    avail: Decimal | None = None
    if available is not None:
        if type(available) is not str:
            return None
        try:
            avail = Decimal(available)
        except InvalidOperation:
            return None
        if not avail.is_finite() or abs(avail) >= _LIMIT:
            return None
        if avail.is_signed() != (side == "short"):
            return None
    asset_class = _ASSET_CLASSES.get(asset_class, asset_class)  # one string for 100k rows
    return Position(
        asset_id, symbol, qty, side, asset_class, avg, cur, mv, cb, upl, ppc.scaleb(2), avail
    )


_LIMIT = Decimal(10) ** MAX_INTEGER_DIGITS


def parse_positions(raw: object) -> list[Position]:
    """GET /v2/positions (10,000 positions parse in a few tens of milliseconds)."""
    reader = PositionsReader()
    return [reader(item, i) for i, item in enumerate(_list(raw, "positions"))]


def position_at(raw: object, index: int) -> Position:
    """Element `index` of GET /v2/positions, on its own (no duplicate check: `PositionsReader`
    reads a whole list)."""
    position = _position_fast(raw)
    return position if position is not None else parse_position(raw, f"positions[{index}]")


class PositionsReader:
    """Reads the elements of one GET /v2/positions answer as they stream in, and refuses a
    holding listed twice (``AAPL`` twice, or ``BTCUSD`` and ``BTC/USD``)."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, raw: object, index: int) -> Position:
        position = _position_fast(raw)
        if position is None:
            position = parse_position(raw, f"positions[{index}]")
        symbol = position.symbol
        key = symbol if symbol.isupper() and "/" not in symbol else holding_key(symbol)
        first = self._seen.setdefault(key, index)
        if first != index:
            raise MalformedResponse(
                f"positions[{index}]: {position.symbol} is listed twice (also at [{first}])"
            )
        return position


def parse_order(raw: object, what: str = "order") -> Order:
    """An order (POST /v2/orders, GET by client id, a close); symbols kept as sent (BTC/USD)."""
    d = _obj(raw, what)
    side = _SIDES_ORDER.get(d.get("side"))
    if side is None:
        raise MalformedResponse(f"{what}.side: expected 'buy' or 'sell', got {d.get('side')!r}")
    order_type = d.get("type") or d.get("order_type")
    if not isinstance(order_type, str):
        raise MalformedResponse(f"{what}: missing field 'type'")
    filled = _opt_nonneg(d, "filled_qty", what)
    return Order(
        id=_str(d, "id", what),
        client_order_id=_str(d, "client_order_id", what),
        symbol=_symbol(d, what),
        side=side,
        type=order_type,
        status=_str(d, "status", what),
        qty=_opt_nonneg(d, "qty", what),
        notional=_opt_nonneg(d, "notional", what),
        filled_qty=filled if filled is not None else Decimal(0),
        filled_avg_price=_opt_nonneg(d, "filled_avg_price", what),
        submitted_at=_opt_ts(d, "submitted_at", what),
        filled_at=_opt_ts(d, "filled_at", what),
    )


def _error_text(body: object) -> str:
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str) and message:
            return message
    if isinstance(body, str) and body:
        return body
    return "no reason given"


def parse_close_all(raw: object) -> list[CloseResult]:
    """DELETE /v2/positions: HTTP 207, one ``{symbol, status, body}`` per position."""
    results: list[CloseResult] = []
    for i, item in enumerate(_list(raw, "close_all")):
        w = f"close_all[{i}]"
        d = _obj(item, w)
        symbol = _symbol(d, w)
        status = _field(d, "status", w)
        if not isinstance(status, int) or isinstance(status, bool):
            raise MalformedResponse(f"{w}.status: expected an HTTP status, got {status!r}")
        body = d.get("body")
        if 200 <= status < 300:
            results.append(CloseResult(symbol, status, parse_order(body, f"{w}.body"), None))
        else:
            results.append(CloseResult(symbol, status, None, _error_text(body)))
    return results


def parse_orders(raw: object) -> list[Order]:
    """GET /v2/orders: a list of orders, newest first."""
    return [parse_order(item, f"orders[{i}]") for i, item in enumerate(_list(raw, "orders"))]


def parse_cancel_all(raw: object) -> list[CancelResult]:
    """DELETE /v2/orders: HTTP 207, one ``{id, status[, body]}`` per order."""
    results: list[CancelResult] = []
    for i, item in enumerate(_list(raw, "cancel_all")):
        w = f"cancel_all[{i}]"
        d = _obj(item, w)
        status = _field(d, "status", w)
        if not isinstance(status, int) or isinstance(status, bool):
            raise MalformedResponse(f"{w}.status: expected an HTTP status, got {status!r}")
        error = None if 200 <= status < 300 else _error_text(d.get("body"))
        results.append(CancelResult(_str(d, "id", w), status, error))
    return results


def parse_clock(raw: object) -> MarketClock:
    """GET /v2/clock (timestamps carry the exchange's offset; kept as UTC)."""
    w = "clock"
    d = _obj(raw, w)
    return MarketClock(
        timestamp=_ts(d, "timestamp", w),
        is_open=_bool(d, "is_open", w),
        next_open=_ts(d, "next_open", w),
        next_close=_ts(d, "next_close", w),
    )


def _local_time(d: dict[str, Any], key: str, what: str) -> time:
    text = _str(d, key, what)
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise MalformedResponse(f"{what}.{key}: not a time of day: {text[:20]!r}") from None


def parse_calendar(raw: object) -> list[TradingDay]:
    """GET /v2/calendar: dates with New York open/close times, returned as UTC datetimes."""
    days: list[TradingDay] = []
    for i, item in enumerate(_list(raw, "calendar")):
        w = f"calendar[{i}]"
        d = _obj(item, w)
        text = _str(d, "date", w)
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise MalformedResponse(f"{w}.date: not a date: {text[:20]!r}") from None
        opens = datetime.combine(day, _local_time(d, "open", w), MARKET_TZ).astimezone(UTC)
        closes = datetime.combine(day, _local_time(d, "close", w), MARKET_TZ).astimezone(UTC)
        days.append(TradingDay(date=day, open=opens, close=closes))
    return days


def parse_asset(raw: object) -> Asset:
    """GET /v2/assets/{symbol} (the wire calls the asset class ``class``)."""
    w = "asset"
    d = _obj(raw, w)
    return Asset(
        id=_str(d, "id", w),
        symbol=_symbol(d, w),
        name=_str(d, "name", w),
        asset_class=_str(d, "class", w),
        exchange=_str(d, "exchange", w),
        tradable=_bool(d, "tradable", w),
        shortable=_bool(d, "shortable", w),
        fractionable=_bool(d, "fractionable", w),
        min_order_size=_opt_dec(d, "min_order_size", w),
        min_trade_increment=_opt_dec(d, "min_trade_increment", w),
    )


def _wire_amount(value: object, what: str) -> Decimal:
    """A JSON number of the portfolio history as Decimal: through ``str`` when it arrives as a
    float (a client decoding without ``parse_float=Decimal``), never ``Decimal(float)``."""
    if isinstance(value, bool):
        raise MalformedResponse(f"{what}: not a number: {value!r}")
    if isinstance(value, float):
        value = str(value)
    try:
        return parse_decimal(value, what)
    except ValueError as exc:
        raise MalformedResponse(str(exc)) from None


def parse_portfolio_history(raw: object) -> list[HistoryPoint]:
    """GET /v2/account/portfolio/history at timeframe 1D: one point per trading day.

    `timestamp` is epoch seconds of the day's end (20:00 New York), so the New York date is the
    trading day. Equity is a JSON number; null equity (days before the account had any) is
    skipped. `cashflow`, present with ``cashflow_types``, maps an activity type to one amount
    per point (0 where nothing happened).
    """
    d = _obj(raw, "portfolio history")
    stamps = _list(_field(d, "timestamp", "portfolio history"), "portfolio history.timestamp")
    equity = _list(_field(d, "equity", "portfolio history"), "portfolio history.equity")
    if len(stamps) != len(equity):
        raise MalformedResponse("portfolio history: timestamp and equity differ in length")
    cashflow = d.get("cashflow") or {}
    flows = _obj(cashflow, "portfolio history.cashflow")
    for kind, values in flows.items():
        if len(_list(values, f"portfolio history.cashflow.{kind}")) != len(stamps):
            raise MalformedResponse(f"portfolio history.cashflow.{kind}: not one per point")
    points: list[HistoryPoint] = []
    for i, (stamp, value) in enumerate(zip(stamps, equity, strict=True)):
        if value is None:
            continue
        if isinstance(stamp, bool) or not isinstance(stamp, int | Decimal):
            raise MalformedResponse(f"portfolio history.timestamp[{i}]: not epoch seconds")
        day = datetime.fromtimestamp(int(stamp), MARKET_TZ).date()
        amounts = {
            str(kind): _wire_amount(values[i], f"portfolio history.cashflow.{kind}[{i}]")
            for kind, values in flows.items()
            if values[i] is not None
        }
        points.append(
            HistoryPoint(
                day,
                _wire_amount(value, f"portfolio history.equity[{i}]"),
                {k: v for k, v in amounts.items() if v != 0},
            )
        )
    return points

"""`AlpacaBroker`: the `Broker` port over Alpaca's trading API.

Importing this module is cheap: alpaca-py, requests and tenacity are imported when an
`AlpacaBroker` is built (only commands that talk to the broker build one).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pm.broker.alpaca import parse
from pm.broker.alpaca.identity import broker_identity, normalize_base_url
from pm.domain.errors import (
    BadInput,
    BrokerRejected,
    BrokerUnavailable,
    CredentialsError,
    NotFound,
)
from pm.domain.ledger import ACTIVITY_PAGE_SIZE, ActivityKind, ActivityPage
from pm.domain.market_calendar import MARKET_TZ
from pm.domain.models import (
    Account,
    Asset,
    CancelResult,
    CloseResult,
    MarketClock,
    Order,
    OrderRequest,
    Position,
    TradingDay,
)
from pm.domain.performance import HistoryPoint
from pm.ports import Clock

if TYPE_CHECKING:
    from pm.broker.alpaca.transport import Transport

PAPER_URL = "https://paper-api.alpaca.markets"
LIVE_URL = "https://api.alpaca.markets"
DUPLICATE_CLIENT_ORDER_ID = 40010001
_SYMBOL = re.compile(r"[A-Za-z0-9][A-Za-z0-9./:_-]{0,63}")


def _symbol(symbol: str) -> str:
    """A symbol or asset id as one URL path segment: checked, then percent-encoded, so that
    ``BTC/USD`` is ``BTC%2FUSD`` and never two segments."""
    symbol = symbol.strip()
    if not _SYMBOL.fullmatch(symbol) or ".." in symbol:
        raise BadInput(f"not a symbol: {symbol[:70]!r}")
    return quote(symbol, safe="")


def _wire_number(value: Decimal) -> str:
    """Decimals go on the wire as strings (the documented form), never through float."""
    return format(value, "f")


def order_body(request: OrderRequest) -> dict[str, Any]:
    """The POST /v2/orders body for a simple order."""
    if (request.qty is None) == (request.notional is None):
        raise BadInput(f"order for {request.symbol}: give exactly one of qty and notional")
    body: dict[str, Any] = {
        "symbol": request.symbol,
        "side": request.side,
        "type": request.type,
        "time_in_force": request.time_in_force,
        "client_order_id": request.client_order_id,
    }
    if request.qty is not None:
        body["qty"] = _wire_number(request.qty)
    if request.notional is not None:
        body["notional"] = _wire_number(request.notional)
    if request.limit_price is not None:
        body["limit_price"] = _wire_number(request.limit_price)
    if request.trail_percent is not None:
        body["trail_percent"] = _wire_number(request.trail_percent)
    return body


class AlpacaBroker:
    """The `Broker` port for one Alpaca account (paper or live, by `base_url`).

    Thread-safe for concurrent reads (snapshots fetch account and positions at once). Every
    method raises only `pm.domain.errors` types.
    """

    def __init__(
        self,
        *,
        api_key: str,
        secret_key: str,
        base_url: str,
        clock: Clock,
        timeout_s: float = 10.0,
        connect_timeout_s: float = 5.0,
        deadline_s: float = 30.0,
        max_attempts: int = 4,
        backoff_base_s: float = 0.25,
        max_retry_wait_s: float = 5.0,
    ) -> None:
        if not api_key or not secret_key:
            raise CredentialsError(
                "alpaca credentials missing: set ALPACA_API_KEY and ALPACA_SECRET_KEY"
            )
        from pm.broker.alpaca.transport import RetryPolicy, Transport

        self._base_url = normalize_base_url(base_url)
        self._identity = broker_identity(self._base_url, api_key)
        self._clock = clock
        self._transport: Transport = Transport(
            api_key=api_key,
            secret_key=secret_key,
            base_url=self._base_url,
            clock=clock,
            policy=RetryPolicy(
                timeout_s=timeout_s,
                connect_timeout_s=min(connect_timeout_s, timeout_s),
                deadline_s=deadline_s,
                max_attempts=max(1, max_attempts),
                backoff_base_s=backoff_base_s,
                max_retry_wait_s=max_retry_wait_s,
            ),
        )

    def __repr__(self) -> str:
        return f"AlpacaBroker(base_url={self._base_url!r}, identity={self._identity!r})"

    # -- identity ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return "alpaca"

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def simulated(self) -> bool:
        return False

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def is_live(self) -> bool:
        """True for Alpaca's live-money endpoint."""
        return self._base_url == LIVE_URL

    def close(self) -> None:
        """Release pooled connections (optional; the process exit does it too)."""
        self._transport.close()

    # -- reads ------------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self._transport.get(path, params, **kw)

    def _parsed(self, what: str, fn: Any, raw: Any) -> Any:
        try:
            return fn(raw)
        except parse.MalformedResponse as exc:
            raise self._transport.unavailable(
                f"alpaca sent a malformed response to {what}: {exc}", self._clock.now()
            ) from None

    def get_account(self) -> Account:
        account: Account = self._parsed(
            "GET /v2/account", parse.parse_account, self._get("/account")
        )
        return account

    def get_positions(self) -> list[Position]:
        """Parsed as the body arrives: a 100k-position answer is never held whole."""
        positions: list[Position] = self._get("/positions", each=parse.PositionsReader())
        return positions

    def get_position(self, symbol: str) -> Position:
        path = f"/positions/{_symbol(symbol)}"
        raw = self._get(path, not_found=f"no open position in {symbol}")
        position: Position = self._parsed(f"GET /v2{path}", parse.parse_position, raw)
        return position

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        return self._order_by_client_id(client_order_id, deadline=None)

    def _order_by_client_id(self, client_order_id: str, deadline: float | None) -> Order | None:
        try:
            raw = self._get(
                "/orders:by_client_order_id",
                {"client_order_id": client_order_id},
                not_found="order not found",
                deadline=deadline,
            )
        except NotFound:
            return None
        order: Order = self._parsed("GET /v2/orders:by_client_order_id", parse.parse_order, raw)
        return order

    def get_clock(self) -> MarketClock:
        clock: MarketClock = self._parsed("GET /v2/clock", parse.parse_clock, self._get("/clock"))
        return clock

    def get_calendar(self, start: date, end: date) -> list[TradingDay]:
        raw = self._get("/calendar", {"start": start.isoformat(), "end": end.isoformat()})
        days: list[TradingDay] = self._parsed("GET /v2/calendar", parse.parse_calendar, raw)
        return days

    def get_asset(self, symbol: str) -> Asset:
        path = f"/assets/{_symbol(symbol)}"
        raw = self._get(path, not_found=f"alpaca knows no asset {symbol}")
        asset: Asset = self._parsed(f"GET /v2{path}", parse.parse_asset, raw)
        return asset

    def get_portfolio_history(self, start: date, end: date) -> list[HistoryPoint]:
        """GET /v2/account/portfolio/history, daily, with every cash flow type; `start` and
        `end` are New York dates (sent as RFC 3339 New York midnight and end of day)."""
        params = {
            "timeframe": "1D",
            "start": datetime.combine(start, time(0, 0), MARKET_TZ).isoformat(),
            "end": datetime.combine(end, time(23, 59, 59), MARKET_TZ).isoformat(),
            "cashflow_types": "ALL",
        }
        raw = self._get("/account/portfolio/history", params)
        what = "GET /v2/account/portfolio/history"
        points: list[HistoryPoint] = self._parsed(what, parse.parse_portfolio_history, raw)
        return [p for p in points if start <= p.day <= end]

    def get_activities(
        self,
        kind: ActivityKind,
        *,
        page_token: str | None,
        after: date | None = None,
        page_size: int = ACTIVITY_PAGE_SIZE,
    ) -> ActivityPage:
        """One page of account activities, oldest first, starting just after `page_token`
        (the id of the last activity already stored): FILL activities, or every non-trade
        activity (``category=non_trade_activity``). `after` (a date) limits the page to
        activities created after it."""
        from pm.broker.alpaca.activities import parse_activities

        params: dict[str, Any] = {"direction": "asc", "page_size": page_size}
        if kind == "fill":
            params["activity_types"] = "FILL"
        else:
            params["category"] = "non_trade_activity"
        if page_token is not None:
            params["page_token"] = page_token
        if after is not None:
            params["after"] = after.isoformat()
        raw = self._get("/account/activities", params)
        page: ActivityPage = self._parsed("GET /v2/account/activities", parse_activities, raw)
        return page

    # -- writes -----------------------------------------------------------------------------

    def submit_order(self, request: OrderRequest) -> Order:
        """Send the order once. After an ambiguous failure, or a "client_order_id must be
        unique" refusal, the order is looked up by its client_order_id instead of resent."""
        from pm.broker.alpaca.transport import AmbiguousWrite

        body = order_body(request)
        cid = request.client_order_id
        deadline = self._transport.new_deadline()
        try:
            raw = self._transport.send("POST", "/orders", body, deadline=deadline)
        except AmbiguousWrite as exc:
            found = self._lookup_after(cid, exc.detail, deadline)
            if found is None:
                raise self._transport.unavailable(
                    f"order {cid} not confirmed ({exc.detail}) and alpaca has no order with "
                    "that client_order_id; it was not resent (resending the same "
                    "client_order_id is safe)",
                    exc.last_attempt,
                ) from None
            return found
        except BrokerRejected as exc:
            if exc.code != DUPLICATE_CLIENT_ORDER_ID or "client_order_id" not in exc.message:
                raise
            found = self._lookup_after(cid, "duplicate client_order_id", deadline)
            if found is None:
                raise
            return found
        order: Order = self._parsed("POST /v2/orders", parse.parse_order, raw)
        return order

    def _lookup_after(self, cid: str, detail: str, deadline: float) -> Order | None:
        try:
            return self._order_by_client_id(cid, deadline=deadline)
        except BrokerUnavailable as exc:
            raise self._transport.unavailable(
                f"order {cid} status unknown ({detail}); the lookup by client_order_id failed "
                f"too ({exc.message}); it was not resent: check the account before retrying",
                exc.last_attempt,
            ) from None

    def list_orders(self, *, status: str = "open", limit: int = 500) -> list[Order]:
        params = {"status": status, "limit": str(limit), "direction": "desc"}
        orders: list[Order] = self._parsed(
            "GET /v2/orders", parse.parse_orders, self._get("/orders", params)
        )
        return orders

    def cancel_order(self, order_id: str) -> None:
        from pm.broker.alpaca.transport import AmbiguousWrite

        path = f"/orders/{_symbol(order_id)}"
        try:
            self._transport.send("DELETE", path, not_found=f"no open order {order_id}")
        except AmbiguousWrite as exc:
            raise self._transport.unavailable(
                f"cancelling order {order_id} not confirmed ({exc.detail}); check the order",
                exc.last_attempt,
            ) from None

    def cancel_all_orders(self) -> list[CancelResult]:
        from pm.broker.alpaca.transport import AmbiguousWrite

        try:
            raw = self._transport.send("DELETE", "/orders")
        except AmbiguousWrite as exc:
            raise self._transport.unavailable(
                f"cancelling every order not confirmed ({exc.detail}); check open orders",
                exc.last_attempt,
            ) from None
        if raw is None:
            return []
        results: list[CancelResult] = self._parsed("DELETE /v2/orders", parse.parse_cancel_all, raw)
        return results

    def close_position(
        self, symbol: str, *, qty: Decimal | None = None, percentage: Decimal | None = None
    ) -> Order:
        from pm.broker.alpaca.transport import AmbiguousWrite

        if qty is not None and percentage is not None:
            raise BadInput(f"close {symbol}: give qty or percentage, not both")
        params: dict[str, Any] | None = None
        if qty is not None:
            params = {"qty": _wire_number(qty)}
        elif percentage is not None:
            params = {"percentage": _wire_number(percentage)}
        path = f"/positions/{_symbol(symbol)}"
        try:
            raw = self._transport.send(
                "DELETE", path, params, not_found=f"no open position in {symbol}"
            )
        except AmbiguousWrite as exc:
            raise self._transport.unavailable(
                f"closing {symbol} not confirmed ({exc.detail}); it was not resent: check the "
                "position before retrying",
                exc.last_attempt,
            ) from None
        order: Order = self._parsed(f"DELETE /v2{path}", parse.parse_order, raw)
        return order

    def close_all_positions(self, *, cancel_orders: bool) -> list[CloseResult]:
        from pm.broker.alpaca.transport import AmbiguousWrite

        params = {"cancel_orders": True} if cancel_orders else None
        try:
            raw = self._transport.send("DELETE", "/positions", params)
        except AmbiguousWrite as exc:
            raise self._transport.unavailable(
                f"close-all not confirmed ({exc.detail}); it was not resent: check positions "
                "before retrying",
                exc.last_attempt,
            ) from None
        if raw is None:
            return []
        results: list[CloseResult] = self._parsed(
            "DELETE /v2/positions", parse.parse_close_all, raw
        )
        return results


__all__ = ["LIVE_URL", "PAPER_URL", "AlpacaBroker", "broker_identity", "normalize_base_url"]

"""A small local stand-in for Alpaca's trading API, for fault tests, CLI tests and benchmarks.

    from tests.support.fake_alpaca import FakeAlpaca, Reply, closed_port_url

    with FakeAlpaca() as srv:                 # threaded HTTP server on 127.0.0.1, random port
        broker = AlpacaBroker(api_key="k", secret_key="s", base_url=srv.base_url, clock=...)
        srv.latency_s = 0.05                  # added to every response
        srv.script(503, 503, 200)             # the next three requests (any path): 503, 503,
                                              # then the normal answer (200 = "route normally")
        srv.script(Reply(429, headers={"Retry-After": "1"}), path="/v2/account")
        srv.script(Reply.malformed())         # 200 with a body that is not JSON
        srv.script(Reply.hang(5))             # hold the request 5 s, then answer normally
        srv.script(Reply.drip(0.25))          # answer normally, one body byte every 0.25 s
        srv.fail_with(503)                    # every request (until `fail_with(None)`)
        srv.positions = many_positions(10_000)  # wire dicts served by GET /v2/positions
        srv.requests                          # [Recorded(method, path, query, body, at)]
        srv.count("POST", "/v2/orders")
        srv.stop()                            # afterwards: connection refused on that port

Routes (payloads from ./alpaca_reference, copied from shared/alpaca-reference):
GET /v2/account, /v2/positions, /v2/positions/{symbol} (404 if not held), /v2/clock
(`srv.clock`), /v2/calendar, /v2/account/activities (`srv.activities`), /v2/assets/{symbol},
/v2/orders:by_client_order_id, /v2/orders?status=; POST /v2/orders (remembers the order by
client_order_id; a repeat gives Alpaca's 422 40010001; answers "new", then fills it and moves
the position unless `fill_orders` is False; `order_replies[symbol]` scripts the answer for one
symbol); DELETE /v2/orders (207), /v2/orders/{id}, /v2/positions/{s} and DELETE /v2/positions
(207). Authentication is not checked: script a 401 to test it.
Market data (the same server can stand in for ALPACA_DATA_URL): GET /v2/stocks/bars serves
`srv.bars` ({symbol: [wire bars]}, the reference's by default) for the requested symbols
between start and end, `srv.bars_page_size` bars a page with a next_page_token.
GET /v1beta3/crypto/us/bars serves `srv.crypto_bars` ({"BTC/USD": [wire bars]}, none by
default) the same way.
GET /v2/stocks/trades/latest?symbols=A,B serves `srv.latest_trades` ({symbol: last price}).
DELETE /v2/positions answers 207 with `srv.close_all_results` (set it to
payload("trading/close_all_positions_207_partial_failure") for a partial failure).
GET /v2/account/activities pages `srv.activities` (wire dicts; the reference's fills and
non-trade activities by default) as Alpaca does: activity_types or category filter,
direction (desc by default), page_token (the last id of the previous page), page_size, after.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

REFERENCE = Path(__file__).parent / "alpaca_reference"


def payload(name: str) -> Any:
    """A reference payload, e.g. payload("trading/account.json") or "errors/unauthorized_401"."""
    if not name.endswith(".json"):
        name += ".json"
    return json.loads((REFERENCE / name).read_text())


def many_positions(n: int) -> list[dict[str, Any]]:
    """`n` wire positions (long, short and crypto in turn) with distinct symbols, for load."""
    base = payload("trading/positions")
    return [
        {**base[i % 3], "symbol": f"S{i:05d}", "asset_id": str(uuid.UUID(int=i))} for i in range(n)
    ]


def closed_port_url() -> str:
    """An http://127.0.0.1:PORT URL where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


_STATUS_BODIES = {
    401: "errors/unauthorized_401",
    403: "errors/forbidden_gateway_403",
    404: "errors/position_not_found_404",
    422: "errors/duplicate_client_order_id_422",
    429: "errors/rate_limit_429",
    500: "errors/internal_error_500",
}


@dataclass
class Reply:
    """A scripted answer. status 200 with body None means "answer as the route normally would"."""

    status: int = 200
    body: Any = None  # dict/list (sent as JSON), str/bytes (sent as is), None (default)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # extra wait before answering (on top of latency_s)
    drip_s: float = 0.0  # send the body one byte every `drip_s` seconds (a trickling answer)

    @classmethod
    def malformed(cls, status: int = 200, body: bytes = b"<html>upstream error</html>") -> Reply:
        return cls(status, body, {"Content-Type": "text/html"})

    @classmethod
    def hang(cls, seconds: float) -> Reply:
        """Say nothing for `seconds` (past the client's timeout), then answer normally."""
        return cls(200, None, {}, seconds)

    @classmethod
    def drip(cls, seconds: float, status: int = 200, body: Any = None) -> Reply:
        """Answer (normally, or with `body`) one byte of body every `seconds`."""
        return cls(status, body, {}, 0.0, seconds)

    @classmethod
    def of(cls, item: int | Reply) -> Reply:
        if isinstance(item, Reply):
            return item
        if item == 200:
            return cls()
        name = _STATUS_BODIES.get(item)
        body = payload(name) if name else {"code": item * 100000, "message": f"status {item}"}
        return cls(item, body)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived


class FakeAlpaca:
    """Threaded fake Alpaca trading endpoint; `base_url` is what AlpacaBroker wants."""

    def __init__(self, *, latency_s: float = 0.0) -> None:
        self.latency_s = latency_s
        self.account: dict[str, Any] = payload("trading/account")
        self.positions: list[dict[str, Any]] = payload("trading/positions")
        self.orders: dict[str, dict[str, Any]] = {}
        # POST /v2/orders answers "new"; with `fill_orders` the order is filled right after
        # (at the position's current price, or the latest trade) and the positions move, as
        # a market order's would: a later GET by client_order_id says "filled".
        self.fill_orders = True
        # a scripted answer to POST /v2/orders per symbol (e.g. a 403 for AAPL only)
        self.order_replies: dict[str, Reply] = {}
        # take the next N orders but answer 503, as a gateway that lost the answer would
        self.lose_order_answers = 0
        # market data: last trade price per stock symbol (GET /v2/stocks/trades/latest)
        self.latest_trades: dict[str, float] = {"AAPL": 190.5, "MSFT": 420.0}
        self.clock: dict[str, Any] = payload("trading/clock_open")  # GET /v2/clock
        # what DELETE /v2/positions answers (207, one status per symbol)
        self.close_all_results: list[dict[str, Any]] = payload("trading/close_all_positions_207")
        self.bars: dict[str, list[dict[str, Any]]] = payload("data/stock_bars")["bars"]
        self.bars_page_size = 10_000
        # GET /v1beta3/crypto/us/bars: {"BTC/USD": [wire bars]}, paged like the stock bars
        self.crypto_bars: dict[str, list[dict[str, Any]]] = {}
        # GET /v2/account/portfolio/history (pm performance)
        self.portfolio_history: dict[str, Any] = payload("trading/portfolio_history_1D_cashflow")
        self.activities: list[dict[str, Any]] = reference_activities()
        self.requests: list[Recorded] = []
        self._script: list[tuple[str | None, Reply]] = []
        self._always: Reply | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeAlpaca:
        handler = _make_handler(self)
        server = _Server(("127.0.0.1", self.port), handler)
        server.daemon_threads = True
        server.block_on_close = False  # a hanging handler must not block stop()
        self._server = server
        self.port = server.server_address[1]
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: later connections to `base_url` are refused."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:  # also drop kept-alive connections, or clients could still reuse them
            connections, self._connections = list(self._connections), set()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeAlpaca:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- knobs -------------------------------------------------------------------------------

    def script(self, *replies: int | Reply, path: str | None = None) -> None:
        """Queue answers for the next requests (to `path` only, if given), in order."""
        with self._lock:
            self._script.extend((path, Reply.of(r)) for r in replies)

    def fail_with(self, reply: int | Reply | None) -> None:
        """Answer every request this way (after the script runs out); None to stop."""
        self._always = None if reply is None else Reply.of(reply)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)
            )

    # -- serving -----------------------------------------------------------------------------

    def _next_scripted(self, path: str) -> Reply | None:
        with self._lock:
            for i, (only, reply) in enumerate(self._script):
                if only is None or only == path:
                    del self._script[i]
                    return reply
        return self._always

    def _handle(self, method: str, raw_path: str, body: bytes, headers: dict[str, str]) -> Reply:
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        with self._lock:
            self.requests.append(Recorded(method, path, query, body, headers, time.monotonic()))
        reply = self._next_scripted(path)
        if reply is None or (reply.status == 200 and reply.body is None):
            routed = self._route(method, path, query, body)
            reply = (
                routed
                if reply is None
                else replace(routed, delay_s=reply.delay_s, drip_s=reply.drip_s)
            )
        return reply

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Reply:
        if method == "GET":
            return self._route_get(path, query)
        if method == "POST" and path == "/v2/orders":
            return self._submit(json.loads(body or b"{}"))
        if method == "DELETE" and path == "/v2/orders":
            return Reply(207, self._cancel_all())
        if method == "DELETE" and path.startswith("/v2/orders/"):
            return self._cancel(unquote(path.removeprefix("/v2/orders/")))
        if method == "DELETE" and path == "/v2/positions":
            return Reply(207, self.close_all_results)
        if method == "DELETE" and path.startswith("/v2/positions/"):
            symbol = unquote(path.removeprefix("/v2/positions/"))
            if symbol not in {p["symbol"] for p in self.positions}:
                return Reply(404, payload("errors/position_not_found_404"))
            order = payload("trading/close_position_order")
            order["symbol"] = symbol
            if "qty" in query:
                order["qty"] = query["qty"][0]
            return Reply(200, order)
        return _NO_ROUTE

    def _route_get(self, path: str, query: dict[str, list[str]]) -> Reply:
        fixed: dict[str, Callable[[], Any]] = {
            "/v2/account": lambda: self.account,
            "/v2/positions": lambda: self.positions,
            "/v2/clock": lambda: self.clock,
            "/v2/calendar": lambda: payload("trading/calendar"),
            "/v2/account/portfolio/history": lambda: self.portfolio_history,
            "/v2/account/activities": lambda: activities_page(self.activities, query),
            "/v2/orders": lambda: self._orders_listed(query.get("status", ["open"])[0]),
        }
        if path in fixed:
            return Reply(200, fixed[path]())
        if path.startswith("/v2/positions/"):
            symbol = unquote(path.removeprefix("/v2/positions/"))
            for position in self.positions:
                if position["symbol"] == symbol:
                    return Reply(200, position)
            return Reply(404, payload("errors/position_not_found_404"))
        if path.startswith("/v2/assets/"):
            symbol = unquote(path.removeprefix("/v2/assets/"))
            if symbol == "AAPL":
                return Reply(200, payload("trading/asset_aapl"))
            if symbol in ("BTC/USD", "BTCUSD"):
                return Reply(200, payload("trading/asset_crypto_btcusd"))
            return Reply(404, {"code": 40410000, "message": f"asset not found for {symbol}"})
        if path == "/v2/stocks/bars":
            return Reply(200, self._bars_page(query, self.bars))
        if path == "/v1beta3/crypto/us/bars":
            return Reply(200, self._bars_page(query, self.crypto_bars))
        if path == "/v2/stocks/trades/latest":  # the data API (ALPACA_DATA_URL = base_url)
            wanted = query.get("symbols", [""])[0].split(",")
            trades = {
                sym: {"t": "2024-11-25T20:59:59.9Z", "x": "V", "p": self.latest_trades[sym],
                      "s": 100, "c": ["@"], "i": 1, "z": "C"}
                for sym in wanted
                if sym in self.latest_trades
            }  # fmt: skip
            return Reply(200, {"trades": trades})
        if path == "/v2/orders:by_client_order_id":
            cid = query.get("client_order_id", [""])[0]
            if cid in self.orders:
                return Reply(200, self.orders[cid])
            return Reply(404, payload("errors/order_not_found_404"))
        return _NO_ROUTE

    def _orders_listed(self, status: str) -> list[dict[str, Any]]:
        """GET /v2/orders?status=open|closed|all, newest first."""
        return [
            o
            for o in reversed(self.orders.values())
            if status == "all" or (status == "open") == (o["status"] in _OPEN)
        ]

    def _bars_page(
        self, query: dict[str, list[str]], source: dict[str, list[dict[str, Any]]]
    ) -> dict[str, Any]:
        """Alpaca's bars paging: one flat run of bars over the symbols, cut into pages."""
        symbols = query.get("symbols", [""])[0].split(",")
        start = query.get("start", ["0000"])[0][:10]
        end = query.get("end", ["9999"])[0][:10]
        flat = [
            (symbol, bar)
            for symbol in symbols
            for bar in source.get(symbol, [])
            if start <= bar["t"][:10] <= end
        ]
        offset = int(query.get("page_token", ["0"])[0])
        size = min(self.bars_page_size, int(query.get("limit", ["10000"])[0]))
        page: dict[str, list[dict[str, Any]]] = {}
        for symbol, bar in flat[offset : offset + size]:
            page.setdefault(symbol, []).append(bar)
        more = offset + size < len(flat)
        return {"bars": page, "next_page_token": str(offset + size) if more else None}

    def _cancel_all(self) -> list[dict[str, Any]]:
        results = []
        for order in self.orders.values():
            if order["status"] in _OPEN:
                order["status"] = "canceled"
                results.append({"id": order["id"], "status": 200})
        return results

    def _cancel(self, order_id: str) -> Reply:
        for order in self.orders.values():
            if order["id"] == order_id:
                if order["status"] not in _OPEN:
                    return Reply(422, payload("errors/order_not_cancelable_422"))
                order["status"] = "canceled"
                return Reply(204, None)
        return Reply(404, payload("errors/order_not_found_404"))

    def _fill(self, order: dict[str, Any]) -> None:
        """Fill `order` (stored already) and move the position it trades."""
        key = order["symbol"].replace("/", "")
        position = next((p for p in self.positions if p["symbol"] == key), None)
        price = (
            position["current_price"]
            if position is not None
            else str(self.latest_trades.get(key, 100))
        )
        qty = Decimal(order["qty"] or "0")
        order.update(
            status="filled",
            filled_qty=str(qty),
            filled_avg_price=str(price),
            filled_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        if position is None:
            return
        held = Decimal(position["qty"]) + (qty if order["side"] == "buy" else -qty)
        if held == 0:
            self.positions = [p for p in self.positions if p is not position]
            return
        updated = {**position, "qty": str(held), "qty_available": str(held)}
        updated["market_value"] = str(held * Decimal(position["current_price"]))
        updated["cost_basis"] = str(held * Decimal(position["avg_entry_price"]))
        self.positions = [updated if p is position else p for p in self.positions]

    def _submit(self, request: dict[str, Any]) -> Reply:
        cid = request.get("client_order_id") or str(uuid.uuid4())
        if cid in self.orders:
            return Reply(422, payload("errors/duplicate_client_order_id_422"))
        scripted = self.order_replies.get(request.get("symbol", ""))
        if scripted is not None:
            return scripted
        order = payload("trading/order_new_market_qty")
        order.update(
            id=str(uuid.uuid4()),
            client_order_id=cid,
            symbol=request.get("symbol", order["symbol"]),
            side=request.get("side", order["side"]),
            qty=None if request.get("qty") is None else str(request["qty"]),
            notional=None if request.get("notional") is None else str(request["notional"]),
        )
        self.orders[cid] = order
        answer = Reply(200, dict(order))
        if self.lose_order_answers > 0:
            self.lose_order_answers -= 1
            answer = Reply(503, payload("errors/internal_error_500"))
        if self.fill_orders:
            self._fill(order)
        return answer


_OPEN = frozenset(
    {"new", "accepted", "pending_new", "partially_filled", "held", "accepted_for_bidding"}
)


def reference_activities() -> list[dict[str, Any]]:
    """The reference's fills (both pages) and non-trade activities, newest first."""
    items = (
        payload("trading/activities_fill_page1")
        + payload("trading/activities_fill_page2")
        + payload("trading/activities_non_trade")
    )
    return sorted(items, key=lambda a: a["id"], reverse=True)


def activities_page(items: list[dict[str, Any]], query: dict[str, list[str]]) -> list[Any]:
    """GET /v2/account/activities over `items`, paged by id as Alpaca pages them."""
    types = query.get("activity_types", [""])[0].split(",")
    category = query.get("category", [""])[0]
    chosen = [
        a
        for a in items
        if (types == [""] or a.get("activity_type") in types)
        and (category != "trade_activity" or a.get("activity_type") == "FILL")
        and (category != "non_trade_activity" or a.get("activity_type") != "FILL")
    ]
    after = query.get("after", [""])[0]
    if after:
        chosen = [
            a
            for a in chosen
            if str(a.get("created_at") or a.get("transaction_time") or a.get("date"))[:10]
            >= after[:10]
        ]
    ascending = query.get("direction", ["desc"])[0] == "asc"
    chosen.sort(key=lambda a: a["id"], reverse=not ascending)
    token = query.get("page_token", [""])[0]
    if token:
        chosen = [a for a in chosen if (a["id"] > token if ascending else a["id"] < token)]
    size = int(query.get("page_size", ["100"])[0])
    return chosen[:size]


_NO_ROUTE = Reply(404, {"code": 40400000, "message": "endpoint not found"})


class _Server(ThreadingHTTPServer):
    # a listen backlog like a real server's: 40 clients connecting at once must not wait
    # for a SYN retransmission (the default backlog is 5)
    request_queue_size = 128


def _make_handler(fake: FakeAlpaca) -> Callable[..., BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def setup(self) -> None:
            super().setup()
            with fake._lock:
                fake._connections.add(self.connection)

        def finish(self) -> None:
            with fake._lock:
                fake._connections.discard(self.connection)
            with contextlib.suppress(OSError):
                super().finish()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = fake._handle(self.command, self.path, body, dict(self.headers.items()))
            wait = fake.latency_s + reply.delay_s
            if wait and fake._stopping.wait(wait):
                self.close_connection = True
                return
            content = reply.body
            if content is None:
                data = b""
            elif isinstance(content, bytes):
                data = content
            elif isinstance(content, str):
                data = content.encode()
            else:
                data = json.dumps(content).encode()
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json; charset=UTF-8", **reply.headers}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                if reply.drip_s:
                    self.wfile.flush()
                    for i in range(len(data)):
                        if fake._stopping.wait(reply.drip_s):
                            break
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                    self.close_connection = True
                else:
                    self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                self.close_connection = True

        do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _serve

    return Handler

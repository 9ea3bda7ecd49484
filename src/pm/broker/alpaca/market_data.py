"""Daily bars from Alpaca's market data API (its own URL, ``ALPACA_DATA_URL``).

``GET {data_url}/v2/stocks/bars?symbols=A,B&timeframe=1Day&start=..&end=..&feed=iex
&adjustment=all&limit=10000[&page_token=..]`` answers ``{"bars": {SYM: [{t, o, h, l, c, v, n,
vw}]}, "next_page_token": ...}``; pages are followed until the token is null. Bars are split-
and dividend-adjusted (``adjustment=all``) and come from the IEX feed, which free plans may
read (recent SIP data answers 403).

Latency, not bandwidth, bounds this fetch: each chunk of symbols is a chain of pages, one
round trip each, and chains run concurrently (at most `MAX_IN_FLIGHT`). So the symbols are cut
into as many chunks as needed for one page each, but no more than can be in flight at once
(beyond that, longer chains cost fewer round trips than waiting chunks), and never more than
`MAX_SYMBOLS_PER_REQUEST` to a request so the URL stays short.

Crypto pairs are not on the stocks endpoint: their daily closes are not requested and are
reported in `DailyCloses.unsupported` (risk then leaves them out of historical VaR and says so).
Their minute bars (exit rules' high-water marks) come from ``GET
{data_url}/v1beta3/crypto/us/bars?symbols=BTC/USD&timeframe=1Min`` (same answer shape, no
feed), fetched alongside the stocks' requests.

Uses the trading adapter's `Transport` (timeouts, bounded retries for reads, Retry-After,
the `pm` error vocabulary); importing this module is cheap, the transport is built on first
use. Closes are JSON numbers decoded straight to Decimal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pm.broker.alpaca.data_client import AlpacaDataClient
from pm.broker.alpaca.parse import MAX_INTEGER_DIGITS
from pm.domain.money import parse_decimal
from pm.domain.pm_orders import order_symbol
from pm.domain.portfolio import holding_key
from pm.domain.sectors import is_crypto
from pm.ports import DailyCloses, MinuteBar

if TYPE_CHECKING:
    from pm.broker.alpaca.transport import Transport

MAX_SYMBOLS_PER_REQUEST = 500
MAX_IN_FLIGHT = 8
PAGE_LIMIT = 10_000
MAX_PAGES = 200

Closes = dict[str, list[tuple[date, Decimal]]]
Bars = dict[str, list[MinuteBar]]
#: Minute bars: one request (a chain of pages) per this many symbols, all at once.
BAR_SYMBOLS_PER_REQUEST = 100


class MalformedBars(ValueError):
    pass


def _stock(symbol: str) -> str:
    return holding_key(symbol)


def _crypto_pair(symbol: str) -> str:
    """The data API's form of a pair: ``BTC/USD`` as given, ``BTCUSD`` split before its quote."""
    if "/" in symbol:
        return symbol.strip().upper()
    return order_symbol(holding_key(symbol), "crypto")


@dataclass(frozen=True, slots=True)
class BarsEndpoint:
    """Where one kind of symbol's bars live: ``{data_url}/{version}{path}``, how a symbol is
    spelled there and whether the request names a feed."""

    version: str
    path: str
    spell: Callable[[str], str]
    feed: bool


STOCK_BARS = BarsEndpoint("v2", "/stocks/bars", _stock, feed=True)
CRYPTO_BARS = BarsEndpoint("v1beta3", "/crypto/us/bars", _crypto_pair, feed=False)


class AlpacaMarketData(AlpacaDataClient):
    """Implements `pm.ports.MarketData` for US equities."""

    DEADLINE_S = 30.0
    MAX_ATTEMPTS = 4

    @property
    def name(self) -> str:
        return "alpaca"

    def daily_closes(self, symbols: Sequence[str], start: date, end: date) -> DailyCloses:
        wanted = list(dict.fromkeys(holding_key(s) for s in symbols))
        crypto = tuple(s for s in wanted if is_crypto(s))
        stocks = [s for s in wanted if not is_crypto(s)]
        closes: Closes = {}
        if stocks and end >= start:
            transport = self._client()
            deadline = transport.new_deadline()  # one bound for the whole fetch
            chunks = chunked(stocks, start, end)
            with ThreadPoolExecutor(min(MAX_IN_FLIGHT, len(chunks))) as pool:
                parts = [
                    pool.submit(self._fetch, transport, chunk, start, end, deadline, {})
                    for chunk in chunks
                ]
                try:
                    for part in parts:
                        for symbol, rows in part.result().items():
                            closes.setdefault(symbol, []).extend(rows)
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)  # the first error wins
                    raise
        for rows in closes.values():
            rows.sort()
        return DailyCloses(closes, unsupported=crypto)

    def minute_bars(
        self, symbols: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[MinuteBar]]:
        """``GET /v2/stocks/bars?timeframe=1Min`` for stocks and ``GET
        /v1beta3/crypto/us/bars?timeframe=1Min`` for crypto pairs (asked as ``BTC/USD``): one
        request per `BAR_SYMBOLS_PER_REQUEST` symbols of each kind, all concurrently, pages
        followed. Keyed by the caller's spelling (``BTCUSD`` as positions say it)."""
        spelled: dict[str, str] = {}
        for symbol in symbols:
            spelled.setdefault(holding_key(symbol), symbol)
        if not spelled or end < start:
            return {}
        # by the caller's spelling: ``X/USD`` is a pair even when ``XUSD`` is not a known one
        crypto = [symbol for symbol in spelled.values() if is_crypto(symbol)]
        stocks = [symbol for symbol in spelled.values() if not is_crypto(symbol)]
        jobs = [
            (endpoint, kind[i : i + BAR_SYMBOLS_PER_REQUEST])
            for endpoint, kind in ((STOCK_BARS, stocks), (CRYPTO_BARS, crypto))
            for i in range(0, len(kind), BAR_SYMBOLS_PER_REQUEST)
        ]
        transport = self._client()
        deadline = transport.new_deadline()
        bars: Bars = {}
        with ThreadPoolExecutor(min(MAX_IN_FLIGHT, len(jobs))) as pool:
            parts = [
                pool.submit(self._fetch_minutes, transport, ep, chunk, start, end, deadline)
                for ep, chunk in jobs
            ]
            try:
                for part in parts:
                    bars.update(part.result())
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        for rows in bars.values():
            rows.sort(key=lambda b: b.t)
        return {spelled[key]: rows for key, rows in bars.items() if key in spelled}

    def _fetch_minutes(
        self,
        transport: Transport,
        endpoint: BarsEndpoint,
        symbols: list[str],
        start: datetime,
        end: datetime,
        deadline: float,
    ) -> Bars:
        """The minute bars of one chunk of `endpoint`'s symbols (as the caller spells them),
        page after page, keyed by holding key."""
        into: Bars = {}
        params: dict[str, Any] = {
            "symbols": ",".join(endpoint.spell(s) for s in symbols),
            "timeframe": "1Min",
            "start": _rfc3339(start),
            "end": _rfc3339(end),
            "limit": PAGE_LIMIT,
        }
        if endpoint.feed:
            params["feed"] = self._feed
        self._follow_pages(
            transport,
            params,
            deadline,
            lambda raw: parse_minute_page(raw, into, start, end),
            endpoint=endpoint,
        )
        return into

    def _fetch(
        self,
        transport: Transport,
        symbols: list[str],
        start: date,
        end: date,
        deadline: float,
        into: Closes,
    ) -> Closes:
        """The closes of one chunk of symbols, page after page, added to `into`."""
        params: dict[str, Any] = {
            "symbols": ",".join(symbols),
            "timeframe": "1Day",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "feed": self._feed,
            "adjustment": "all",
            "limit": PAGE_LIMIT,
        }
        self._follow_pages(
            transport, params, deadline, lambda raw: parse_page(raw, into), endpoint=STOCK_BARS
        )
        return into

    def _follow_pages(
        self,
        transport: Transport,
        params: dict[str, Any],
        deadline: float,
        read_page: Callable[[Any], str | None],
        *,
        endpoint: BarsEndpoint,
    ) -> None:
        """GET `endpoint` page after page, each read by `read_page` (which returns the next
        page token), until the token is null; malformed or endless paging is unavailable."""
        where = f"/{endpoint.version}{endpoint.path}"
        for _ in range(MAX_PAGES):
            raw = transport.get(
                endpoint.path, params, deadline=deadline, api_version=endpoint.version
            )
            try:
                token = read_page(raw)
            except MalformedBars as exc:
                raise transport.unavailable(
                    f"alpaca sent malformed bars for {where}: {exc}",
                    self._clock.now(),
                ) from None
            if not token:
                return
            params = {**params, "page_token": token}
        raise transport.unavailable(
            f"alpaca kept paging {where} past {MAX_PAGES} pages",
            self._clock.now(),
        )


def chunked(symbols: list[str], start: date, end: date) -> list[list[str]]:
    """`symbols` cut into even chunks: one page of bars each if that needs no more than
    `MAX_IN_FLIGHT` requests, else `MAX_IN_FLIGHT` chunks; at most `MAX_SYMBOLS_PER_REQUEST`."""
    weekdays = ((end - start).days + 1) * 5 / 7  # about the bars each symbol has
    per_page = max(1, int(PAGE_LIMIT / max(1.0, weekdays)))
    count = min(math.ceil(len(symbols) / per_page), MAX_IN_FLIGHT)
    count = max(count, math.ceil(len(symbols) / MAX_SYMBOLS_PER_REQUEST))
    size = math.ceil(len(symbols) / count)
    return [symbols[i : i + size] for i in range(0, len(symbols), size)]


def parse_page(raw: Any, into: Closes) -> str | None:
    """Add one page's closes to `into`; returns the next page token (None at the end)."""
    for symbol, rows in _symbols(raw):
        target = into.setdefault(holding_key(symbol), [])
        for bar in _rows(symbol, rows, ("t", "c")):
            try:
                day = datetime.fromisoformat(str(bar["t"]).replace("Z", "+00:00")).date()
                close = parse_decimal(bar["c"], f"{symbol} close")
            except ValueError as exc:
                raise MalformedBars(str(exc)) from None
            if close <= 0:
                raise MalformedBars(f"{symbol} close on {day} is not positive: {close}")
            if close.adjusted() >= MAX_INTEGER_DIGITS:
                raise MalformedBars(f"{symbol} close on {day} is out of range: {close:.3E}")
            target.append((day, close))
    return _next_token(raw)


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_minute_page(raw: Any, into: Bars, start: datetime, end: datetime) -> str | None:
    """Add one page's minute bars (t, h, l, c) in [start, end] to `into`; the next token."""
    for symbol, rows in _symbols(raw):
        target = into.setdefault(holding_key(symbol), [])
        for bar in _rows(symbol, rows, ("t", "h", "l", "c")):
            try:
                at = datetime.fromisoformat(str(bar["t"]).replace("Z", "+00:00"))
                high = parse_decimal(bar["h"], f"{symbol} high")
                low = parse_decimal(bar["l"], f"{symbol} low")
                close = parse_decimal(bar["c"], f"{symbol} close")
            except ValueError as exc:
                raise MalformedBars(str(exc)) from None
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            if min(high, low, close) <= 0 or high < low:
                raise MalformedBars(f"{symbol} bar at {bar['t']} is not a positive range")
            if start <= at <= end:
                target.append(MinuteBar(at, high, low, close))
        if not target:
            into.pop(holding_key(symbol), None)
    return _next_token(raw)


def _symbols(raw: Any) -> Iterator[tuple[str, Any]]:
    """A bars page's ``bars`` object, symbol by symbol (``null`` or absent: none)."""
    if not isinstance(raw, dict):
        raise MalformedBars(f"expected an object, got {type(raw).__name__}")
    bars = raw.get("bars") or {}
    if not isinstance(bars, dict):
        raise MalformedBars("'bars' is not an object")
    for symbol, rows in bars.items():
        yield str(symbol), rows


def _rows(symbol: str, rows: Any, keys: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """One symbol's bars, each an object holding `keys`."""
    if not isinstance(rows, list):
        raise MalformedBars(f"bars of {symbol} are not a list")
    for bar in rows:
        if not isinstance(bar, dict) or any(k not in bar for k in keys):
            raise MalformedBars(f"a bar of {symbol} lacks {', '.join(keys[:-1])} or {keys[-1]}")
        yield bar


def _next_token(raw: dict[str, Any]) -> str | None:
    token = raw.get("next_page_token")
    if token is not None and not isinstance(token, str):
        raise MalformedBars("'next_page_token' is not a string")
    return token or None

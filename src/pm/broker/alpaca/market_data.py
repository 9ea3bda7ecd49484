"""Daily bars from Alpaca's market data API (its own URL, ``ALPACA_DATA_URL``).

``GET {data_url}/v2/stocks/bars?symbols=A,B&timeframe=1Day&start=..&end=..&feed=iex
&adjustment=all&limit=10000[&page_token=..]`` answers ``{"bars": {SYM: [{t, o, h, l, c, v, n,
vw}]}, "next_page_token": ...}``; pages are followed until the token is null. Symbols go in
chunks so the URL stays short. Bars are split- and dividend-adjusted (``adjustment=all``) and
come from the IEX feed, which free plans may read (recent SIP data answers 403).

Crypto pairs are not on the stocks endpoint: they are not requested and are reported in
`DailyCloses.unsupported` (risk then leaves them out of historical VaR and says so).

Uses the trading adapter's `Transport` (timeouts, bounded retries for reads, Retry-After,
the `pm` error vocabulary); importing this module is cheap, the transport is built on first
use. Closes are JSON numbers decoded straight to Decimal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pm.broker.alpaca.data_client import AlpacaDataClient
from pm.domain.money import parse_decimal
from pm.domain.portfolio import holding_key
from pm.domain.sectors import is_crypto
from pm.ports import DailyCloses

if TYPE_CHECKING:
    from pm.broker.alpaca.transport import Transport

SYMBOLS_PER_REQUEST = 100
PAGE_LIMIT = 10_000
MAX_PAGES = 200


class MalformedBars(ValueError):
    pass


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
        closes: dict[str, list[tuple[date, Decimal]]] = {}
        if stocks and end >= start:
            transport = self._client()
            deadline = transport.new_deadline()  # one bound for the whole fetch
            for i in range(0, len(stocks), SYMBOLS_PER_REQUEST):
                chunk = stocks[i : i + SYMBOLS_PER_REQUEST]
                self._fetch(transport, chunk, start, end, deadline, closes)
        for rows in closes.values():
            rows.sort()
        return DailyCloses(closes, unsupported=crypto)

    def _fetch(
        self,
        transport: Transport,
        symbols: list[str],
        start: date,
        end: date,
        deadline: float,
        into: dict[str, list[tuple[date, Decimal]]],
    ) -> None:
        params: dict[str, Any] = {
            "symbols": ",".join(symbols),
            "timeframe": "1Day",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "feed": self._feed,
            "adjustment": "all",
            "limit": PAGE_LIMIT,
        }
        for _ in range(MAX_PAGES):
            raw = transport.get("/stocks/bars", params, deadline=deadline)
            try:
                token = parse_page(raw, into)
            except MalformedBars as exc:
                raise transport.unavailable(
                    f"alpaca sent malformed bars for /v2/stocks/bars: {exc}",
                    self._clock.now(),
                ) from None
            if not token:
                return
            params = {**params, "page_token": token}
        raise transport.unavailable(
            f"alpaca kept paging /v2/stocks/bars past {MAX_PAGES} pages",
            self._clock.now(),
        )


def parse_page(raw: Any, into: dict[str, list[tuple[date, Decimal]]]) -> str | None:
    """Add one page's closes to `into`; returns the next page token (None at the end)."""
    if not isinstance(raw, dict):
        raise MalformedBars(f"expected an object, got {type(raw).__name__}")
    bars = raw.get("bars")
    if bars is None:
        bars = {}
    if not isinstance(bars, dict):
        raise MalformedBars("'bars' is not an object")
    for symbol, rows in bars.items():
        if not isinstance(rows, list):
            raise MalformedBars(f"bars of {symbol} are not a list")
        target = into.setdefault(holding_key(str(symbol)), [])
        for bar in rows:
            if not isinstance(bar, dict) or "t" not in bar or "c" not in bar:
                raise MalformedBars(f"a bar of {symbol} lacks t or c")
            try:
                day = datetime.fromisoformat(str(bar["t"]).replace("Z", "+00:00")).date()
                close = parse_decimal(bar["c"], f"{symbol} close")
            except ValueError as exc:
                raise MalformedBars(str(exc)) from None
            if close <= 0:
                raise MalformedBars(f"{symbol} close on {day} is not positive: {close}")
            target.append((day, close))
    token = raw.get("next_page_token")
    if token is not None and not isinstance(token, str):
        raise MalformedBars("'next_page_token' is not a string")
    return token or None

"""The latest trade price of a stock from Alpaca's market data API (its own URL).

``GET {ALPACA_DATA_URL}/v2/stocks/trades/latest?symbols=SYM&feed=iex`` answers
``{"trades": {"SYM": {"t": ..., "p": 190.5, ...}}}`` (data values are JSON numbers; they are
decoded straight to Decimal). Crypto and any failure give None: the caller then asks for
``--price``. Importing this module is cheap; the transport is built on first use.
"""

from __future__ import annotations

from decimal import Decimal

from pm.broker.alpaca.data_client import AlpacaDataClient
from pm.broker.alpaca.parse import MAX_INTEGER_DIGITS
from pm.domain.errors import PmError
from pm.domain.money import parse_decimal


class AlpacaLatestTrades(AlpacaDataClient):
    """Implements `pm.ports.LatestPrices` for US equities."""

    DEADLINE_S = 10.0
    MAX_ATTEMPTS = 2

    def latest_price(self, symbol: str) -> Decimal | None:
        sym = symbol.strip().upper()
        if "/" in sym or not sym.replace(".", "").isalnum():
            return None  # crypto pairs live on another endpoint; not a stock symbol
        try:
            raw = self._client().get("/stocks/trades/latest", {"symbols": sym, "feed": self._feed})
        except PmError:
            return None
        try:
            price = parse_decimal(raw["trades"][sym]["p"], "p")
        except (KeyError, TypeError, ValueError):
            return None
        # a price of 19 integer digits is no price: the caller then asks for --price
        return price if price > 0 and price.adjusted() < MAX_INTEGER_DIGITS else None

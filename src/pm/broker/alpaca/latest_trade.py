"""The latest trade price of a stock from Alpaca's market data API (its own URL).

``GET {ALPACA_DATA_URL}/v2/stocks/trades/latest?symbols=SYM&feed=iex`` answers
``{"trades": {"SYM": {"t": ..., "p": 190.5, ...}}}`` (data values are JSON numbers; they are
decoded straight to Decimal). Crypto and any failure give None: the caller then asks for
``--price``. Importing this module is cheap; the transport is built on first use.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pm.domain.errors import PmError
from pm.domain.money import parse_decimal
from pm.ports import Clock

if TYPE_CHECKING:
    from pm.broker.alpaca.transport import Transport


class AlpacaLatestTrades:
    """Implements `pm.ports.LatestPrices` for US equities."""

    def __init__(
        self,
        *,
        api_key: str,
        secret_key: str,
        data_url: str,
        clock: Clock,
        deadline_s: float = 10.0,
        feed: str = "iex",
    ) -> None:
        self._args: dict[str, Any] = {
            "api_key": api_key,
            "secret_key": secret_key,
            "base_url": data_url.rstrip("/"),
            "clock": clock,
        }
        self._deadline_s = deadline_s
        self._feed = feed
        self._transport: Transport | None = None

    def _client(self) -> Transport:
        if self._transport is None:
            from pm.broker.alpaca.transport import RetryPolicy, Transport

            policy = RetryPolicy(deadline_s=self._deadline_s, max_attempts=2)
            self._transport = Transport(**self._args, policy=policy)
        return self._transport

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
        return price if price > 0 else None

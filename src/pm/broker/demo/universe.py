"""The instruments the demo account knows: real S&P 500 names plus two crypto pairs.

Symbols follow Alpaca's habits: positions and close-all say ``BTCUSD``, orders and assets say
``BTC/USD``; both spellings (and lower case) resolve to the same instrument here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from pm.domain.portfolio import holding_key

_ASSET_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pm.invalid/demo/assets")


@dataclass(frozen=True, slots=True)
class Instrument:
    """One tradable demo instrument; `symbol` is the position form (``BTCUSD``, not ``BTC/USD``)."""

    symbol: str
    name: str
    sector: str
    asset_class: str
    exchange: str
    base_price: Decimal

    @property
    def is_crypto(self) -> bool:
        return self.asset_class == "crypto"

    @property
    def order_symbol(self) -> str:
        """The spelling Alpaca uses in orders and assets (``BTC/USD`` for crypto pairs)."""
        if self.is_crypto and self.symbol.endswith("USD"):
            return f"{self.symbol[:-3]}/USD"
        return self.symbol

    @property
    def asset_id(self) -> str:
        return asset_id_for(self.symbol)


def asset_id_for(symbol: str) -> str:
    """A stable fake asset UUID per symbol (uuid5, the same on every machine and run)."""
    return str(uuid.uuid5(_ASSET_NAMESPACE, symbol))


def _equity(symbol: str, name: str, sector: str, exchange: str, price: str) -> Instrument:
    return Instrument(symbol, name, sector, "us_equity", exchange, Decimal(price))


def _crypto(symbol: str, name: str, price: str) -> Instrument:
    return Instrument(symbol, name, "Crypto", "crypto", "CRYPTO", Decimal(price))


UNIVERSE: dict[str, Instrument] = {
    i.symbol: i
    for i in (
        _equity("AAPL", "Apple Inc.", "Information Technology", "NASDAQ", "230.00"),
        _equity("MSFT", "Microsoft", "Information Technology", "NASDAQ", "420.00"),
        _equity("NVDA", "Nvidia", "Information Technology", "NASDAQ", "130.00"),
        _equity("GOOGL", "Alphabet Inc. (Class A)", "Communication Services", "NASDAQ", "175.00"),
        _equity("META", "Meta Platforms", "Communication Services", "NASDAQ", "580.00"),
        _equity("AMZN", "Amazon", "Consumer Discretionary", "NASDAQ", "200.00"),
        _equity("TSLA", "Tesla, Inc.", "Consumer Discretionary", "NASDAQ", "250.00"),
        _equity("HD", "Home Depot (The)", "Consumer Discretionary", "NYSE", "390.00"),
        _equity("JPM", "JPMorgan Chase", "Financials", "NYSE", "240.00"),
        _equity("V", "Visa Inc.", "Financials", "NYSE", "310.00"),
        _equity("JNJ", "Johnson & Johnson", "Health Care", "NYSE", "155.00"),
        _equity("UNH", "UnitedHealth Group", "Health Care", "NYSE", "520.00"),
        _equity("XOM", "ExxonMobil", "Energy", "NYSE", "115.00"),
        _equity("PG", "Procter & Gamble", "Consumer Staples", "NYSE", "165.00"),
        _equity("KO", "Coca-Cola Company (The)", "Consumer Staples", "NYSE", "62.00"),
        _equity("CAT", "Caterpillar Inc.", "Industrials", "NYSE", "360.00"),
        _equity("LIN", "Linde plc", "Materials", "NASDAQ", "450.00"),
        _equity("NEE", "NextEra Energy", "Utilities", "NYSE", "72.00"),
        _equity("AMT", "American Tower", "Real Estate", "NYSE", "210.00"),
        _crypto("BTCUSD", "Bitcoin / US Dollar", "65000.00"),
        _crypto("ETHUSD", "Ethereum / US Dollar", "3200.00"),
    )
}


def lookup(symbol: str) -> Instrument | None:
    """The demo instrument for a symbol in either spelling, or None outside the universe."""
    return UNIVERSE.get(holding_key(symbol))

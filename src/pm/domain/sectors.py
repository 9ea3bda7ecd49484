"""Sector classification rules: pure, no I/O.

A sector answer always says where it came from (`Sector.source`), so `pm sectors show` and
`pm risk` can tell a looked-up GICS sector from a rule ("Crypto", "ETF") or a non-answer
("Unknown"). Broad ETFs are reported as "ETF", never filed under a GICS sector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SectorSource = Literal["cache", "database", "bundled", "crypto", "etf", "unknown"]

CRYPTO = "Crypto"
ETF = "ETF"
UNKNOWN = "Unknown"

# Broad-market and very common index / bond / commodity ETFs. Not exhaustive: an ETF that is
# not listed here and not in `universe_fundamentals` is "Unknown", which is honest.
BROAD_ETFS: frozenset[str] = frozenset(
    {
        "SPY", "VOO", "IVV", "SPLG", "RSP", "QQQ", "QQQM", "IWM", "IWB", "IWV", "DIA", "VTI",
        "ITOT", "SCHB", "SCHX", "VT", "VEA", "VWO", "VXUS", "IEFA", "IEMG", "EFA", "EEM",
        "VUG", "VTV", "VO", "VB", "MDY", "IJH", "IJR", "AGG", "BND", "TLT", "IEF", "SHY",
        "LQD", "HYG", "GLD", "IAU", "SLV", "VNQ", "VIG", "SCHD", "DGRO",
    }
)  # fmt: skip

# Bases of the crypto pairs Alpaca trades, for spotting "BTCUSD" when no asset class is known.
CRYPTO_BASES: frozenset[str] = frozenset(
    {
        "BTC", "ETH", "SOL", "DOGE", "LTC", "BCH", "LINK", "UNI", "AAVE", "AVAX", "DOT",
        "XRP", "SHIB", "MKR", "USDT", "USDC", "XTZ", "GRT", "SUSHI", "YFI", "BAT", "CRV",
        "PEPE", "TRUMP", "ADA", "XLM",
    }
)  # fmt: skip
CRYPTO_QUOTES = ("USDT", "USDC", "USD", "BTC")


@dataclass(frozen=True, slots=True)
class Sector:
    """A symbol's sector and where the answer came from."""

    name: str
    source: SectorSource

    @property
    def known(self) -> bool:
        return self.source != "unknown"


def normalize_symbol(symbol: str) -> str:
    """Upper case, surrounding spaces removed; crypto pairs keep their spelling."""
    return symbol.strip().upper()


def is_crypto(symbol: str, asset_class: str | None = None) -> bool:
    """Crypto by asset class, by the pair spelling (``BTC/USD``) or a known ``BTCUSD`` pair."""
    if asset_class is not None:
        return asset_class.lower() == "crypto"
    sym = normalize_symbol(symbol)
    if "/" in sym:
        return True
    return any(sym.endswith(q) and sym[: -len(q)] in CRYPTO_BASES for q in CRYPTO_QUOTES)


def rule_sector(symbol: str, asset_class: str | None = None) -> Sector | None:
    """The sector a rule decides (crypto, broad ETF), or None when a lookup must decide."""
    if is_crypto(symbol, asset_class):
        return Sector(CRYPTO, "crypto")
    if normalize_symbol(symbol) in BROAD_ETFS:
        return Sector(ETF, "etf")
    return None


def unknown() -> Sector:
    return Sector(UNKNOWN, "unknown")

"""Sector classification rules: pure, no I/O.

A sector answer always says where it came from (`Sector.source`), so `pm sectors show` and
`pm risk` can tell a looked-up GICS sector from a rule ("Crypto", "ETF") or a non-answer
("Unknown"). Broad ETFs are reported as "ETF", never filed under a GICS sector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pm.domain.portfolio import holding_key

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


def is_crypto(symbol: str, asset_class: str | None = None) -> bool:
    """Crypto by asset class, by the pair spelling (``BTC/USD``) or a known ``BTCUSD`` pair."""
    if asset_class is not None:
        return asset_class.lower() == "crypto"
    if "/" in symbol:
        return True
    sym = holding_key(symbol)
    return any(sym.endswith(q) and sym[: -len(q)] in CRYPTO_BASES for q in CRYPTO_QUOTES)


def rule_sector(symbol: str, asset_class: str | None = None) -> Sector | None:
    """The sector a rule decides (crypto, broad ETF), or None when a lookup must decide."""
    if is_crypto(symbol, asset_class):
        return Sector(CRYPTO, "crypto")
    if holding_key(symbol) in BROAD_ETFS:
        return Sector(ETF, "etf")
    return None


def unknown() -> Sector:
    return Sector(UNKNOWN, "unknown")


@dataclass(frozen=True, slots=True)
class SectorRecord:
    """One row of a sector import: `universe_fundamentals` (symbol, sector, industry)."""

    symbol: str
    sector: str
    industry: str | None = None


MAX_SYMBOL = 32
MAX_SECTOR = 64
MAX_INDUSTRY = 128
_SYMBOL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./-")
INDUSTRY_COLUMNS = ("industry", "sub_industry")


class SectorFileError(ValueError):
    """A sector file with bad rows; `problems` lists every one (line number and reason)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} bad row(s), nothing imported: {shown}{more}")


def parse_sector_csv(text: str) -> list[SectorRecord]:
    """Validate a whole CSV (header ``symbol,sector[,industry|sub_industry]``, other columns
    ignored) and return its records; any bad row raises `SectorFileError` naming all of them."""
    import csv
    import io

    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "symbol" not in header or "sector" not in header:
        raise SectorFileError([f"line 1: header must name symbol and sector columns, got {header}"])
    reader.fieldnames = header
    industry_col = next((c for c in INDUSTRY_COLUMNS if c in header), None)
    records: list[SectorRecord] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(f"line {line}: more fields than the header")
            continue
        symbol = holding_key(row.get("symbol") or "")
        sector = (row.get("sector") or "").strip()
        industry = (row.get(industry_col) or "").strip() if industry_col else ""
        if not symbol and not sector and not industry:
            continue  # a blank line
        bad = _row_problem(symbol, sector, industry)
        if bad is None and symbol in seen:
            bad = f"{symbol} already on line {seen[symbol]}"
        if bad is not None:
            problems.append(f"line {line}: {bad}")
            continue
        seen[symbol] = line
        records.append(SectorRecord(symbol, sector, industry or None))
    if problems:
        raise SectorFileError(problems)
    if not records:
        raise SectorFileError(["the file has no rows"])
    return records


def _row_problem(symbol: str, sector: str, industry: str) -> str | None:
    if not symbol:
        return "symbol is empty"
    if len(symbol) > MAX_SYMBOL or not set(symbol) <= _SYMBOL_CHARS:
        return f"not a symbol: {symbol!r}"
    if not sector:
        return f"{symbol}: sector is empty"
    if len(sector) > MAX_SECTOR:
        return f"{symbol}: sector longer than {MAX_SECTOR} characters"
    if len(industry) > MAX_INDUSTRY:
        return f"{symbol}: industry longer than {MAX_INDUSTRY} characters"
    return None

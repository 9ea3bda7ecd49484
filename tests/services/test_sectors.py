"""Sector resolution order, the rules for crypto / ETFs, and CSV validation."""

from __future__ import annotations

import pytest

from pm.data import sp500_sectors
from pm.domain.sectors import SectorFileError, SectorRecord, is_crypto, parse_sector_csv
from pm.services.sectors import SectorResolver
from tests.support.memory import MemorySectors


def test_order_cache_database_bundled_unknown() -> None:
    store = MemorySectors({"AAPL": "Imported Tech", "NOTSP": "Materials"})
    resolver = SectorResolver(store)
    first = resolver.resolve_many(["aapl", "NOTSP", "MSFT", "ZZZZ"])
    assert [(s, x.name, x.source) for s, x in first.items()] == [
        ("AAPL", "Imported Tech", "database"),
        ("NOTSP", "Materials", "database"),
        ("MSFT", "Information Technology", "bundled"),
        ("ZZZZ", "Unknown", "unknown"),
    ]
    assert store.asked == [["AAPL", "NOTSP", "MSFT", "ZZZZ"]]  # one query for all misses
    again = resolver.resolve_many(["AAPL", "MSFT", "ZZZZ"])
    assert again["AAPL"].source == "cache"
    assert again["AAPL"].name == "Imported Tech"
    assert again["MSFT"].source == "cache"
    assert store.asked[-1] == ["ZZZZ"]  # unknowns are asked again (an import may add them)


def test_crypto_and_etfs_are_rules_not_lookups() -> None:
    store = MemorySectors({"SPY": "Financials"})  # even a stored answer does not refile an ETF
    resolved = SectorResolver(store).resolve_many(
        ["SPY", "QQQ", "BTC/USD", "ETHUSD", "X"], {"X": "crypto"}
    )
    assert {s: (x.name, x.source) for s, x in resolved.items()} == {
        "SPY": ("ETF", "etf"),
        "QQQ": ("ETF", "etf"),
        "BTCUSD": ("Crypto", "crypto"),  # one spelling per holding (holding_key)
        "ETHUSD": ("Crypto", "crypto"),
        "X": ("Crypto", "crypto"),
    }
    assert is_crypto("BTCUSD")
    assert not is_crypto("AAPL")
    assert not is_crypto("BTCUSD", "us_equity")


def test_bundled_map_is_the_shipped_sp500_file() -> None:
    bundled = sp500_sectors()
    assert len(bundled) == 503
    assert bundled["BRK.B"] == "Financials"
    assert bundled["MMM"] == "Industrials"
    assert set(bundled.values()) <= {
        "Communication Services", "Consumer Discretionary", "Consumer Staples", "Energy",
        "Financials", "Health Care", "Industrials", "Information Technology", "Materials",
        "Real Estate", "Utilities",
    }  # fmt: skip


def test_csv_accepts_industry_or_sub_industry_and_extra_columns() -> None:
    text = "Symbol,Name,Sector,Sub_Industry\nabc,A Co,Tech,Chips\nDEF,D,Energy,\n\n"
    assert parse_sector_csv(text) == [
        SectorRecord("ABC", "Tech", "Chips"),
        SectorRecord("DEF", "Energy", None),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ticker,sector\nA,B\n", "header must name symbol and sector"),
        ("symbol,sector\n", "no rows"),
        ("symbol,sector\n,Tech\n", "line 2: symbol is empty"),
        ("symbol,sector\nAAPL,\n", "line 2: AAPL: sector is empty"),
        ("symbol,sector\nAA PL,Tech\n", "not a symbol"),
        ("symbol,sector\nAAPL,Tech\nAAPL,Energy\n", "line 3: AAPL already on line 2"),
        ("symbol,sector\nAAPL,Tech,extra\n", "more fields than the header"),
        ("symbol,sector\nAAPL," + "x" * 65 + "\n", "sector longer than 64"),
    ],
)
def test_csv_problems(text: str, expected: str) -> None:
    with pytest.raises(SectorFileError) as info:
        parse_sector_csv(text)
    assert expected in str(info.value)


def test_csv_reports_every_bad_row() -> None:
    text = "symbol,sector\nGOOD,Tech\n,Tech\nBAD,\nFINE,Energy\n"
    with pytest.raises(SectorFileError) as info:
        parse_sector_csv(text)
    assert info.value.problems == ["line 3: symbol is empty", "line 4: BAD: sector is empty"]

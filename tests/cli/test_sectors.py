"""`pm sectors import` and `pm sectors show`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli.conftest import PmRunner


def rows(home: Path) -> int:
    with sqlite3.connect(home / "pm.db") as conn:
        return int(conn.execute("SELECT count(*) FROM universe_fundamentals").fetchone()[0])


def test_import_then_show_sources(pm: PmRunner, pm_home: Path) -> None:
    f = pm_home / "sectors.csv"
    f.write_text("symbol,sector,industry\nAAPL,My Tech,Phones\nRIVN,Consumer Discretionary,Autos\n")
    out = pm("sectors", "import", str(f), "--json")
    assert out.code == 0, out.stderr
    assert out.json() == {"file": str(f), "rows": 2, "inserted": 2, "updated": 0}
    again = pm("sectors", "import", str(f), "--json").json()
    assert (again["inserted"], again["updated"]) == (0, 2)
    shown = pm("sectors", "show", "AAPL", "rivn", "MSFT", "SPY", "BTC/USD", "NOPE", "--json").json()
    assert [(x["symbol"], x["sector"], x["sector_source"]) for x in shown] == [
        ("AAPL", "My Tech", "database"),
        ("RIVN", "Consumer Discretionary", "database"),
        ("MSFT", "Information Technology", "bundled"),
        ("SPY", "ETF", "etf"),
        ("BTCUSD", "Crypto", "crypto"),  # one spelling per holding (holding_key)
        ("NOPE", "Unknown", "unknown"),
    ]


def test_a_bad_row_writes_nothing(pm: PmRunner, pm_home: Path) -> None:
    f = pm_home / "bad.csv"
    f.write_text("symbol,sector\nAAPL,Tech\nMSFT,\nGOOG,Tech\n")
    out = pm("sectors", "import", str(f), "--json")
    assert out.code == 2
    assert "line 3: MSFT: sector is empty" in out.error()["message"]
    assert out.stdout == ""
    assert pm("sectors", "show", "AAPL", "--json").json()[0]["sector_source"] == "bundled"
    assert not (pm_home / "pm.db").exists() or rows(pm_home) == 0


def test_missing_file_is_bad_input(pm: PmRunner, pm_home: Path) -> None:
    out = pm("sectors", "import", str(pm_home / "absent.csv"))
    assert out.code == 2
    assert "no such file" in out.stderr


def test_show_table(pm: PmRunner) -> None:
    out = pm("sectors", "show", "XOM")
    assert out.code == 0
    assert "Energy" in out.stdout
    assert "bundled" in out.stdout


def test_show_of_no_symbol_is_bad_input_not_unknown(pm: PmRunner) -> None:
    # `pm sectors show "$SYM"` with SYM unset answered a row for '' in sector Unknown, exit 0
    out = pm("sectors", "show", "XOM", "", "--json")
    assert out.code == 2
    assert out.stdout == ""
    assert "'' is not a symbol" in out.error()["message"]

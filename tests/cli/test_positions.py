"""`pm positions` end to end: the table, --json, --csv, show, the book sync, and failures."""

from __future__ import annotations

import csv
import io
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import FakeAlpaca

POSITION_FIELDS = {
    "account_id",
    "asset_id",
    "symbol",
    "qty",
    "side",
    "asset_class",
    "avg_entry_price",
    "current_price",
    "market_value",
    "cost_basis",
    "unrealized_pl",
    "unrealized_pl_pct",
    "fetched_at",
    "source",
}


def by_symbol(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {row["symbol"]: row for row in rows}


def test_json_lists_long_short_and_crypto_as_alpaca_reports_them(
    pm: PmRunner, alpaca: FakeAlpaca
) -> None:
    result = pm("positions", "--json")
    assert result.code == 0, result.stderr
    rows = by_symbol(result.json())
    assert set(rows) == {"AAPL", "TSLA", "BTCUSD"}
    assert all(set(row) == POSITION_FIELDS for row in rows.values())
    tsla = rows["TSLA"]
    assert tsla["qty"] == Decimal("-5")
    assert tsla["side"] == "short"
    assert tsla["market_value"] == Decimal("-1200")
    assert tsla["unrealized_pl_pct"] == Decimal("4.00")  # Alpaca's plpc 0.04, in percent
    assert rows["BTCUSD"]["asset_class"] == "crypto"
    assert tsla["source"] == {
        "type": "live",
        "broker": "alpaca",
        "fetched_at": tsla["fetched_at"],
    }


def test_dust_is_dropped(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    dust = dict(alpaca.positions[0], symbol="DUST", qty="0.00005", asset_id="dust-id")
    alpaca.positions = [*alpaca.positions, dust]
    symbols = {row["symbol"] for row in pm("positions", "--json").json()}
    assert "DUST" not in symbols
    assert "AAPL" in symbols


def test_csv_has_a_header_and_one_row_per_position(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    result = pm("positions", "--csv")
    assert result.code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 3
    assert {r["symbol"] for r in rows} == {"AAPL", "TSLA", "BTCUSD"}
    assert next(r for r in rows if r["symbol"] == "TSLA")["qty"] == "-5"
    assert rows[0]["source"] == "live"


def test_table_sorts_by_the_requested_field(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    result = pm("positions", "--sort", "market_value", "--desc")
    assert result.code == 0, result.stderr
    lines = result.stdout
    assert lines.index("BTCUSD") < lines.index("AAPL") < lines.index("TSLA")


def test_positions_are_synced_into_the_book_after_printing(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path
) -> None:
    assert pm("positions", "--json").code == 0
    with sqlite3.connect(pm_home / "pm.db") as db:
        rows = dict(db.execute("select symbol, quantity from positions where closed_at is null"))
    assert set(rows) == {"AAPL", "TSLA", "BTCUSD"}
    assert Decimal(rows["TSLA"]) == Decimal("-5")
    # the second run updates what changed instead of adding rows
    alpaca.positions = [dict(p, qty="7") if p["symbol"] == "AAPL" else p for p in alpaca.positions]
    assert pm("positions", "--json").code == 0
    with sqlite3.connect(pm_home / "pm.db") as db:
        rows = dict(db.execute("select symbol, quantity from positions where closed_at is null"))
    assert Decimal(rows["AAPL"]) == Decimal("7")
    assert len(rows) == 3


def test_show_one_position(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    result = pm("positions", "show", "tsla", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["qty"] == Decimal("-5")


def test_show_a_position_not_held_exits_4(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    result = pm("positions", "show", "NOPE", "--json")
    assert result.code == 4
    assert result.error()["error"] == "NotFound"
    assert result.error()["status_code"] == 404


@pytest.mark.parametrize("symbol", ["", " "])
def test_show_without_a_symbol_is_bad_input_as_pm_close_is(
    pm: PmRunner, alpaca: FakeAlpaca, symbol: str
) -> None:
    # `pm positions show "$SYM"` with SYM unset: a usage mistake (exit 2), not "not held"
    # (exit 4), and nothing is asked of the broker (GET /v2/positions/ lists them all)
    result = pm("positions", "show", symbol, "--json")
    assert result.code == 2, result.stderr
    assert result.error()["error"] == "BadInput"
    assert "give the symbol" in result.error()["message"]


@pytest.mark.slow
def test_broker_failure_writes_nothing_to_the_book(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path
) -> None:
    assert pm("db", "upgrade").code == 0  # creates and migrates the database
    alpaca.fail_with(500)
    result = pm("--timeout", "1", "positions", "--json")
    assert result.code == 3
    assert result.stdout == ""
    with sqlite3.connect(pm_home / "pm.db") as db:
        assert db.execute("select count(*) from positions").fetchone()[0] == 0
        assert db.execute("select count(*) from accounts").fetchone()[0] == 0


def test_bad_sort_field_is_a_usage_error(pm: PmRunner) -> None:
    result = pm("positions", "--sort", "colour")
    assert result.code == 2
    assert "colour" in result.stderr

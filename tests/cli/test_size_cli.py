"""`pm size` end to end on the demo: given inputs, the ledger's closed trades, the gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from pm.broker.demo.seed import DEMO_ACCOUNT_ID
from pm.db.engine import open_database
from pm.domain.ledger import Fill
from tests.cli.conftest import PmRunner

FIELDS = {
    "account_id",
    "symbol",
    "win_rate",
    "avg_win",
    "avg_loss",
    "trades_used",
    "stats_from",
    "raw_kelly",
    "fraction",
    "regime",
    "regime_multiplier",
    "kelly_pct",
    "suggested_pct",
    "capped_by",
    "suggested_value",
    "equity",
    "buying_power",
    "price",
    "price_source",
    "fractionable",
    "suggested_qty",
    "reasons",
    "gate",
    "source",
}
GIVEN = ("--win-rate", "0.55", "--avg-win", "300", "--avg-loss", "200")


def test_given_inputs(pm: PmRunner) -> None:
    result = pm("--demo", "size", "KO", *GIVEN, "--price", "50", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data) == FIELDS
    assert data["raw_kelly"] == Decimal("0.25")
    assert data["trades_used"] is None
    multiplier = data["regime_multiplier"]
    expected = Decimal("0.25") * Decimal("0.25") * multiplier * data["equity"]
    assert data["suggested_value"] == expected.quantize(Decimal("0.01"))
    assert data["suggested_qty"] == (expected / 50).quantize(Decimal("1E-9"), "ROUND_DOWN")
    assert data["gate"] == {"approved": True, "reasons": []}


def test_fraction_option(pm: PmRunner) -> None:
    half = pm("--demo", "size", "KO", *GIVEN, "--fraction", "0.1", "--json").json()
    assert half["fraction"] == Decimal("0.1")
    assert half["kelly_pct"] == (Decimal("2.5") * half["regime_multiplier"]).quantize(
        Decimal("0.0001")
    )


def test_negative_kelly_is_zero_and_no_order(pm: PmRunner) -> None:
    data = pm(
        "--demo", "size", "KO", "--win-rate", "0.3", "--avg-win", "1", "--avg-loss", "1", "--json"
    ).json()
    assert data["suggested_qty"] == 0
    assert "no edge" in data["reasons"][0]
    assert data["gate"]["approved"] is None


def test_the_gate_rejects_while_halted(pm: PmRunner) -> None:
    assert pm("--demo", "breaker", "trip", "--reason", "test").code == 0
    data = pm("--demo", "size", "KO", *GIVEN, "--json").json()
    assert data["gate"]["approved"] is False
    assert any("HALTED" in r or "breaker" in r for r in data["gate"]["reasons"])


def test_partial_inputs_and_no_trades_are_bad_input(pm: PmRunner) -> None:
    partial = pm("--demo", "size", "KO", "--win-rate", "0.5", "--json")
    assert partial.code == 2
    none = pm("--demo", "size", "KO", "--json")
    assert none.code == 2
    assert "--all-trades" in none.error()["message"]


def _fill(n: int, symbol: str, side: str, qty: str, price: str) -> Fill:
    at = datetime(2024, 11, 1, 15, tzinfo=UTC) + timedelta(days=n)
    return Fill(f"f{n}", symbol, side, Decimal(qty), Decimal(price), at, "activity")  # type: ignore[arg-type]


def test_closed_trades_from_the_ledger(pm: PmRunner, pm_home: Path) -> None:
    assert pm("--demo", "snapshot").code == 0  # the demo account exists
    fills = [
        _fill(1, "KO", "buy", "10", "60"),
        _fill(2, "KO", "sell", "10", "66"),  # +60
        _fill(3, "KO", "buy", "10", "60"),
        _fill(4, "KO", "sell", "10", "57"),  # -30
        _fill(5, "KO", "buy", "10", "60"),
        _fill(6, "KO", "sell", "10", "63"),  # +30
        _fill(7, "PG", "buy", "1", "100"),
        _fill(8, "PG", "sell", "1", "90"),  # -10
    ]
    with open_database(f"sqlite:///{pm_home / 'pm.db'}") as db:
        db.repository().ledger.add_fills(DEMO_ACCOUNT_ID, fills)
    ko = pm("--demo", "size", "KO", "--json")
    assert ko.code == 0, ko.stderr
    data = ko.json()
    assert data["trades_used"] == 3
    assert data["stats_from"] == "symbol"
    assert data["win_rate"] == Decimal("0.6667")
    assert data["avg_win"] == Decimal("45.00")
    assert data["avg_loss"] == Decimal("30.00")
    every = pm("--demo", "size", "KO", "--all-trades", "--json").json()
    assert every["trades_used"] == 4
    assert every["win_rate"] == Decimal("0.5000")
    table = pm("--demo", "size", "KO")
    assert "3 closed trades of KO" in table.stdout

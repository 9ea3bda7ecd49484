"""`pm size` end to end on the demo: given inputs, the ledger's closed trades, the gate."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pm.broker.demo.seed import DEMO_ACCOUNT_ID
from pm.db.engine import open_database
from pm.domain.lots import match_fifo
from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import FakeAlpaca

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
    table = pm("--demo", "size", "KO", "--win-rate", "0.3", "--avg-win", "1", "--avg-loss", "1")
    assert "none (the suggested size is 0)" in table.stdout
    assert "buy 0" not in table.stdout


def test_a_position_over_its_limit_gets_no_order_and_says_what_is_held(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_MAX_POSITION_PCT", "0.5")  # every demo holding is above it
    data = pm("--demo", "size", "AAPL", *GIVEN, "--json").json()
    assert (data["suggested_qty"], data["capped_by"]) == (0, "position_limit")
    held = pm("--demo", "positions", "show", "AAPL", "--json").json()["market_value"]
    assert f"(less {held:,.2f} already held)" in data["reasons"][0]


def test_the_gate_rejects_while_halted(pm: PmRunner) -> None:
    assert pm("--demo", "breaker", "trip", "--reason", "test").code == 0
    data = pm("--demo", "size", "KO", *GIVEN, "--json").json()
    assert data["gate"]["approved"] is False
    assert any("HALTED" in r or "breaker" in r for r in data["gate"]["reasons"])


def test_partial_inputs_are_bad_input(pm: PmRunner) -> None:
    partial = pm("--demo", "size", "KO", "--win-rate", "0.5", "--json")
    assert partial.code == 2
    assert "--avg-win" in partial.error()["message"]


def test_no_closed_trades_is_bad_input(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    """A real account whose ledger was never synced has no trades to learn from."""
    none = pm("size", "AAPL", "--json")
    assert none.code == 2
    assert "--all-trades" in none.error()["message"]


def test_closed_trades_from_the_ledger(pm: PmRunner, pm_home: Path) -> None:
    """Without inputs, the stats are those of the ledger's closed KO lots (the demo's history
    of round trips, synced first); the arithmetic itself is tests/domain/test_sizing.py's."""
    ko = pm("--demo", "size", "KO", "--json")
    assert ko.code == 0, ko.stderr
    with open_database(f"sqlite:///{pm_home / 'pm.db'}") as db:
        fills = db.repository().ledger.fills(DEMO_ACCOUNT_ID)
    everything = match_fifo(fills).closed
    lots = [lot for lot in everything if lot.symbol == "KO"]
    wins = [lot.realized_pl for lot in lots if lot.realized_pl > 0]
    losses = [-lot.realized_pl for lot in lots if lot.realized_pl <= 0]
    data = ko.json()
    assert len(lots) > 3
    assert wins
    assert losses
    assert data["trades_used"] == len(lots)
    assert data["stats_from"] == "symbol"
    assert data["win_rate"] == (Decimal(len(wins)) / len(lots)).quantize(Decimal("0.0001"))
    assert data["avg_win"] == (sum(wins) / len(wins)).quantize(Decimal("0.01"))
    assert data["avg_loss"] == (sum(losses) / len(losses)).quantize(Decimal("0.01"))
    every = pm("--demo", "size", "KO", "--all-trades", "--json").json()
    assert every["trades_used"] == len(everything)
    table = pm("--demo", "size", "KO")
    assert f"{len(lots)} closed trades of KO" in table.stdout


def test_given_inputs_and_all_trades_conflict(pm: PmRunner) -> None:
    """--all-trades picks the ledger's trades; with the three inputs it would be ignored."""
    both = pm("--demo", "size", "KO", *GIVEN, "--all-trades", "--json")
    assert both.code == 2
    assert "--all-trades" in both.error()["message"]
    assert both.stdout == ""


def test_a_size_too_small_for_one_unit_says_why_nothing_is_ordered(pm: PmRunner) -> None:
    data = pm("--demo", "size", "KO", *GIVEN, "--price", "1e14", "--json").json()
    assert data["suggested_value"] > 0
    assert data["suggested_qty"] == 0
    assert data["gate"]["approved"] is None
    assert any("smallest quantity" in r for r in data["reasons"]), data["reasons"]


@pytest.mark.parametrize("symbol", ["", "  ", "KO KO", "A/B/C"])
@pytest.mark.parametrize("given", [True, False])
def test_a_malformed_symbol_is_named_as_such(pm: PmRunner, symbol: str, given: bool) -> None:
    """Not 'no price for : give a --price' or 'no closed trades of  in the ledger': the
    symbol itself is what is wrong (`pm size "$SYM"` with SYM unset)."""
    inputs = ("--win-rate", "0.55", "--avg-win", "300", "--avg-loss", "200") if given else ()
    out = pm("--demo", "size", symbol, *inputs, "--price", "10", "--json")
    assert out.code == 2
    assert "is not a symbol (a ticker like AAPL" in out.error()["message"]


def test_no_closed_trades_in_a_never_synced_ledger_says_to_sync(
    pm: PmRunner, alpaca: FakeAlpaca
) -> None:
    """The account may well have traded AAPL: the ledger is empty because pm never synced it."""
    out = pm("size", "AAPL", "--json")
    assert out.code == 2
    assert "the trade ledger was never synced (run pm trades sync)" in out.error()["message"]

"""`pm trades`, `pm trades sync`, `pm trades lots`, and realized P/L in the snapshot: on the
demo (its own fills become activities) and against the fake Alpaca server."""

from __future__ import annotations

from decimal import Decimal

from pm.records.trades import FILL_COLUMNS, LOT_COLUMNS
from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import FakeAlpaca, Reply

SEED_AAPL_ENTRY = Decimal("198.40")


def _aapl_price(pm: PmRunner) -> Decimal:
    out = pm("--demo", "positions", "--json")
    assert out.code == 0, out.stderr
    (aapl,) = [p for p in out.json() if p["symbol"] == "AAPL"]
    price: Decimal = aapl["current_price"]
    return price


def test_demo_close_realizes_pl_to_the_cent_in_the_snapshot(pm: PmRunner) -> None:
    before = pm("--demo", "snapshot", "--json").json()
    assert before["realized_pl_available"] is True  # the demo's history: round trips
    price = _aapl_price(pm)
    closed = pm("--demo", "close", "AAPL", "--qty", "5", "--yes")
    assert closed.code == 0, closed.stderr
    after = pm("--demo", "snapshot", "--json").json()
    assert after["realized_pl"] - before["realized_pl"] == (price - SEED_AAPL_ENTRY) * 5
    assert after["realized_pl_available"] is True
    assert after["realized_pl_from"] == "2024-01-02T15:00:00Z"  # the first fill of its history
    assert after["total_pl"] == after["realized_pl"] + after["unrealized_pl"]
    # total P/L no longer drops by the realized gain
    assert after["total_pl"] == before["total_pl"]


def test_demo_trades_and_lots(pm: PmRunner) -> None:
    assert pm("--demo", "close", "AAPL", "--qty", "5", "--yes").code == 0
    fills = pm("--demo", "trades", "--symbol", "aapl", "--json").json()
    assert next(list(f) for f in fills) == list(FILL_COLUMNS)
    assert [(f["side"], f["qty"]) for f in fills] == [("buy", 27), ("sell", 5)]
    csv = pm("--demo", "trades", "lots", "--closed", "--symbol", "AAPL", "--csv")
    assert csv.code == 0, csv.stderr
    header, row, *rest = csv.stdout.strip().splitlines()
    assert header.split(",") == list(LOT_COLUMNS)
    assert rest == []
    assert row.startswith("AAPL,closed,long,5,198.40,")
    open_lots = pm("--demo", "trades", "lots", "--open", "--symbol", "AAPL", "--json").json()
    assert [(lot["qty"], lot["status"]) for lot in open_lots] == [(22, "open")]
    both = pm("--demo", "trades", "lots", "--open", "--closed")
    assert both.code == 2
    assert "--open or --closed" in both.stderr


def test_demo_reset_forgets_the_ledger(pm: PmRunner) -> None:
    history = pm("--demo", "snapshot", "--json").json()["realized_pl"]
    assert pm("--demo", "close", "AAPL", "--qty", "5", "--yes").code == 0
    assert pm("--demo", "snapshot", "--json").json()["realized_pl"] != history
    assert pm("--demo", "demo", "reset", "--yes").code == 0
    assert pm("--demo", "snapshot", "--json").json()["realized_pl"] == history


def test_sync_against_alpaca_is_idempotent(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    first = pm("trades", "sync", "--json")
    assert first.code == 0, first.stderr
    assert (first.json()["new_fills"], first.json()["new_cash_activities"]) == (9, 6)
    assert first.json()["complete"] is True
    again = pm("trades", "sync", "--json").json()
    assert (again["new_fills"], again["new_cash_activities"]) == (0, 0)
    btc = pm("trades", "--symbol", "BTC/USD", "--json").json()
    assert [(f["side"], f["qty"]) for f in btc] == [
        ("buy", Decimal("0.0125")),
        ("sell", Decimal("0.005")),
    ]
    lots = pm("trades", "lots", "--closed", "--json").json()
    assert sum(lot["realized_pl"] for lot in lots) == Decimal("38.6975")


def test_reconcile_syncs_and_a_sync_failure_only_warns(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    alpaca.fail_with(None)
    alpaca.script(Reply(503), Reply(503), Reply(503), Reply(503), path="/v2/account/activities")
    out = pm("reconcile", "--force", "--json")
    assert out.code == 0, out.stderr
    assert out.json()["status"] == "completed"
    assert "trade ledger not synced" in out.stderr
    ok = pm("reconcile", "--force", "--json")
    assert ok.code == 0
    assert "trade ledger" not in ok.stderr
    assert len(pm("trades", "--json").json()) == 9


def test_a_filter_that_matches_nothing_does_not_say_the_ledger_is_empty(pm: PmRunner) -> None:
    """The demo's ledger holds its history: nothing of ZZZZ (or after 2030) is a filter
    matching nothing, not a ledger to sync."""
    for args in (
        ("trades", "--symbol", "ZZZZ"),
        ("trades", "--since", "2030-01-01"),
        ("trades", "lots", "--symbol", "ZZZZ"),
        ("tax", "lots", "--symbol", "ZZZZ"),
    ):
        done = pm("--demo", *args)
        assert done.code == 0, done.stderr
        assert done.stdout == ""
        assert "run pm trades sync" not in done.stderr, args
        assert "match" in done.stderr, args


def test_an_account_never_synced_is_told_to_sync(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    assert pm("positions").code == 0  # pm learns the account
    for args in (("trades",), ("trades", "lots")):
        done = pm(*args)
        assert done.code == 0, done.stderr
        assert "run pm trades sync" in done.stderr, args


def test_trades_lots_and_tax_lots_agree_on_terms(pm: PmRunner) -> None:
    """The demo's TSLA short is held since January 2024: short term in both (a short lot's
    gain always is), and each open lot held the same days in both."""
    trades = pm("--demo", "trades", "lots", "--open", "--json").json()
    tax = pm("--demo", "tax", "lots", "--json").json()
    by_fill = {t["open_fill_id"]: (t["holding_days"], t["term"]) for t in tax}
    assert {t["open_fill_id"]: (t["holding_days"], t["term"]) for t in trades} == by_fill
    (tsla,) = [t for t in trades if t["symbol"] == "TSLA"]
    assert (tsla["side"], tsla["term"]) == ("short", "short")

"""`pm performance` end to end: the demo's simulated year, and a fake Alpaca's portfolio
history (the reference payload of November 2024, with a deposit, a withdrawal and a journal)."""

from __future__ import annotations

import itertools
import json
import sqlite3
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import REFERENCE, FakeAlpaca

FIELDS = [
    "account_id", "start", "end", "days", "annualization", "total_return_pct",
    "annualized_return_pct", "mwr_pct", "volatility_pct", "sharpe", "sortino",
    "max_drawdown_pct", "max_drawdown_peak", "max_drawdown_trough", "max_drawdown_recovery",
    "max_drawdown_days", "current_drawdown_pct", "trades", "win_rate_pct", "profit_factor",
    "avg_win", "avg_loss", "expectancy", "net_deposits", "source",
]  # fmt: skip


def test_demo_full_report_offline(pm: PmRunner, pm_home: Path) -> None:
    out = pm("--demo", "performance", "--json")
    assert out.code == 0, out.stderr
    report = out.json()
    assert set(FIELDS) <= set(report)
    assert report["source"] == "demo"
    assert report["annualization"] == 365  # the demo holds bitcoin
    assert report["days"] == 365
    assert report["trades"] > 20
    assert Decimal(0) < report["win_rate_pct"] < Decimal(100)
    assert report["profit_factor"] is not None
    assert report["avg_loss"] < 0 < report["avg_win"]
    assert report["net_deposits"] > 0  # monthly deposits less a withdrawal
    assert report["max_drawdown_pct"] <= report["current_drawdown_pct"] <= 0
    assert report["sharpe"] is not None
    assert report["sortino"] is not None
    # the ledger got the demo's past once: a second run adds nothing and says the same
    with sqlite3.connect(pm_home / "pm.db") as conn:
        stored = conn.execute("SELECT count(*) FROM fills").fetchone()[0]
    again = pm("--demo", "performance", "--json")
    with sqlite3.connect(pm_home / "pm.db") as conn:
        assert conn.execute("SELECT count(*) FROM fills").fetchone()[0] == stored
    assert again.json() == report


def test_demo_table_and_csv(pm: PmRunner) -> None:
    table = pm("--demo", "performance", "--since", "30d")
    assert table.code == 0, table.stderr
    assert "Money-weighted (XIRR)" in table.stdout
    assert "holds crypto: 365 periods a year" in table.stdout
    csv = pm("--demo", "performance", "--csv", "--since", "30d")
    lines = csv.stdout.strip().splitlines()
    assert lines[0] == "date,equity,flow,return_pct,cumulative_return_pct,drawdown_pct"
    assert len(lines) == 1 + 31  # every calendar day of the window, both ends
    assert lines[1].endswith(",0.0000,0.0000,0.0000")  # the first day is the base


def test_chart_is_refused_off_a_terminal(pm: PmRunner) -> None:
    out = pm("--demo", "performance", "--chart")
    assert out.code == 2
    assert "--csv" in out.stderr


def test_since_after_until_is_bad_input(pm: PmRunner) -> None:
    out = pm("--demo", "performance", "--since", "2026-01-02", "--until", "2026-01-01")
    assert out.code == 2
    assert "--since" in out.stderr


def test_demo_benchmark_outside_its_universe_is_a_warning(pm: PmRunner) -> None:
    out = pm("--demo", "performance", "--benchmark", "SPY", "--json", "--since", "60d")
    assert out.code == 0
    assert "no daily closes of SPY" in out.stderr
    assert out.json()["beta"] is None
    named = pm("--demo", "performance", "--benchmark", "aapl", "--json", "--since", "60d").json()
    assert named["benchmark"] == "AAPL"
    assert named["beta"] is not None
    assert Decimal(-1) <= named["correlation"] <= Decimal(1)


def _twr_by_hand() -> tuple[float, Decimal]:
    raw = json.loads((REFERENCE / "trading/portfolio_history_1D_cashflow.json").read_text())
    new_york = ZoneInfo("America/New_York")
    days = [datetime.fromtimestamp(t, new_york).date() for t in raw["timestamp"]]
    wealth, net = 1.0, Decimal(0)
    kept = [i for i, d in enumerate(days) if date(2024, 11, 1) <= d]  # the window's days
    for prev, i in itertools.pairwise(kept):
        flow = sum(Decimal(str(raw["cashflow"][k][i])) for k in ("CSD", "CSW", "JNLC"))
        net += flow
        e, e0 = Decimal(str(raw["equity"][i])), Decimal(str(raw["equity"][prev]))
        wealth *= float((e - flow) / e0)
    return wealth - 1, net


def test_alpaca_history_with_flows(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    alpaca.bars = {
        "SPY": [
            {"t": f"2024-11-{d:02d}T05:00:00Z", "c": 590 + (d % 7) - d / 10}
            for d in range(1, 26)
            if date(2024, 11, d).weekday() < 5
        ]
    }
    out = pm(
        "performance", "--json", "--since", "2024-11-01", "--until", "2024-11-25",
        "--benchmark", "SPY",
    )  # fmt: skip
    assert out.code == 0, out.stderr
    report = out.json()
    assert report["source"] == "alpaca"
    assert (report["start"], report["end"]) == ("2024-11-01", "2024-11-25")
    twr, net = _twr_by_hand()
    assert report["net_deposits"] == net == Decimal("3750.00")  # 5000 - 1500 + 250
    assert abs(float(report["total_return_pct"]) - twr * 100) < 1e-4
    # the deposit is not a gain: equity rose 6.6 %, the time-weighted return far less
    assert report["total_return_pct"] < Decimal(3)
    assert report["benchmark"] == "SPY"
    assert report["beta"] is not None
    assert report["trades"] == 0  # an empty ledger: no round trips, no invented statistics
    assert report["win_rate_pct"] is None
    assert report["profit_factor"] is None


def test_alpaca_down_falls_back_to_stored_snapshots(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    assert pm("snapshot", "--json").code == 0
    alpaca.portfolio_history = {"timestamp": [], "equity": []}
    out = pm("performance", "--json")
    assert out.code == 4  # one stored snapshot is not a series
    assert "not enough daily equity" in out.stderr


def test_chart_draws_equity_and_drawdown(tmp_path: Path) -> None:
    from pm.broker.demo.broker import DemoBroker
    from pm.broker.demo.seed import DEMO_ACCOUNT_ID
    from pm.cli.views import performance as view
    from pm.db.engine import open_database
    from pm.services import performance as service
    from tests.broker.demo.fakes import FixedClock, MemoryStore, at

    broker = DemoBroker(MemoryStore(), FixedClock(at(2026, 11, 25)))
    with open_database(f"sqlite:///{tmp_path / 'pm.db'}") as db:
        report = service.performance(
            broker, db.repository(), None, DEMO_ACCOUNT_ID,
            start=date(2026, 8, 1), end=date(2026, 11, 25),
        )  # fmt: skip
    text = view.chart(report, 100, 30, color=False)
    assert "Equity (2026-08-01 to 2026-11-25)" in text
    assert "Drawdown % (flows removed)" in text
    assert "2026-08-01" in text
    assert len(text.splitlines()) >= 20


def test_a_risk_free_rate_of_minus_100_pct_is_refused(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-100 % a year makes the per-period rate -1, and Sharpe thousands: not a rate."""
    monkeypatch.setenv("PM_RISK_FREE_RATE", "-1")
    out = pm("--demo", "performance", "--json")
    assert out.code == 2
    assert "PM_RISK_FREE_RATE" in out.error()["message"]
    monkeypatch.setenv("PM_RISK_FREE_RATE", "-0.01")
    assert pm("--demo", "performance", "--json", "--since", "30d").code == 0


def test_chart_with_json_or_csv_says_they_do_not_go_together(pm: PmRunner) -> None:
    """Not 'draws on a terminal only' (wrong at a terminal): the formats are the conflict."""
    for fmt in ("--json", "--csv"):
        out = pm("--demo", "performance", "--chart", fmt)
        assert out.code == 2
        assert f"--chart cannot go with {fmt}" in out.stderr


def test_a_never_synced_ledger_is_said_not_shown_as_no_trades(
    pm: PmRunner, alpaca: FakeAlpaca
) -> None:
    """0 round trips from a ledger pm never filled looks like an account that never traded."""
    args = ("performance", "--json", "--since", "2024-11-01", "--until", "2024-11-25")
    out = pm(*args)
    assert out.code == 0, out.stderr
    assert out.json()["trades"] == 0
    assert "the trade ledger was never synced (run pm trades sync)" in out.stderr
    assert pm("trades", "sync").code == 0
    assert "never synced" not in pm(*args).stderr


def test_a_blank_benchmark_is_bad_input_not_ignored(pm: PmRunner) -> None:
    """`--benchmark "$BENCH"` with BENCH unset: "" was silently no benchmark, " " a warning
    about the daily closes of a symbol with no name."""
    for blank in ("", "  "):
        out = pm("--demo", "performance", "--since", "30d", "--benchmark", blank, "--json")
        assert out.code == 2
        assert "--benchmark needs a symbol" in out.error()["message"]


def test_broker_down_and_too_few_snapshots_is_the_outage(
    pm: PmRunner, alpaca: FakeAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 3 (for cron: try again later), not 4 'not enough daily equity', which hid that the
    broker never answered."""
    monkeypatch.setenv("PM_TIMEOUT", "2")
    assert pm("snapshot", "--json").code == 0
    alpaca.stop()
    out = pm("performance", "--json")
    assert out.code == 3
    assert out.error()["error"] == "BrokerUnavailable"


def test_equity_and_flows_are_in_cents_whatever_the_broker_sent(
    pm: PmRunner, alpaca: FakeAlpaca
) -> None:
    """Alpaca sends 94512.4 and 100000.0 (JSON numbers); the report's money is in cents, as
    its other amounts (net_deposits, avg_win) and the demo's are."""
    args = ("performance", "--since", "2024-11-01", "--until", "2024-11-25")
    report = pm(*args, "--json").json()
    assert str(report["start_equity"]) == "93810.54"
    assert str(report["end_equity"]) == "100000.00"
    rows = pm(*args, "--csv").stdout.strip().splitlines()
    assert rows[-1].startswith("2024-11-25,100000.00,0.00,")
    assert ",5000.00," in rows[2]  # the deposit of 4 November

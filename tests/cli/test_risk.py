"""`pm risk` end to end: the demo account, and a fake Alpaca with positions and bars."""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.conftest import PmRunner
from tests.support.fake_alpaca import FakeAlpaca, payload

FIELDS = {
    "equity", "max_concentration_pct", "max_concentration_symbol", "concentration_breached",
    "sector_exposure", "sector_breached", "var_95", "var_99", "cvar_95", "cvar_99",
    "var_method", "drawdown_pct", "peak_equity", "risk_level", "alerts",
}  # fmt: skip


def stored_alerts(home: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(home / "pm.db") as conn:
        return conn.execute("SELECT level, code, symbol FROM alerts ORDER BY id").fetchall()


def daily_bars(start_price: float, days: int = 400, seed: int = 1) -> list[dict[str, object]]:
    """Weekday bars up to today with a deterministic wiggle."""
    today = datetime.now(UTC).date()
    bars, price = [], start_price
    for i in range(days, -1, -1):
        day = today - timedelta(days=i)
        if day.weekday() >= 5:
            continue
        price *= 1 + 0.02 * math.sin(i * 0.7 + seed)
        bars.append({"t": f"{day.isoformat()}T05:00:00Z", "c": round(price, 2)})
    return bars


@pytest.fixture
def data(alpaca: FakeAlpaca) -> FakeAlpaca:
    alpaca.bars = {"AAPL": daily_bars(190.0), "TSLA": daily_bars(240.0, seed=2)}
    return alpaca


def test_demo_breaches_exit_1_and_stores_alerts(pm: PmRunner, pm_home: Path) -> None:
    out = pm("--demo", "risk", "--json")
    assert out.code == 1, out.stderr
    report = out.json()
    assert set(report) >= FIELDS
    assert report["var_method"] == "historical"
    assert report["concentration_breached"] is True
    assert report["risk_level"] in ("HIGH", "CRITICAL")
    assert report["var_99"] >= report["var_95"] > 0
    assert report["cvar_95"] >= report["var_95"]
    assert out.error()["error"] == "CheckFailed"
    breached = [a for a in report["alerts"] if a["code"] == "concentration_breached"]
    symbol = report["max_concentration_symbol"]
    assert any(
        a["symbol"] == symbol and str(report["max_concentration_pct"]) in a["message"]
        for a in breached
    )
    rows = stored_alerts(pm_home)
    assert len(rows) == len(report["alerts"])
    assert ("critical", "concentration_breached", symbol) in rows


def test_dust_is_not_part_of_the_risk_picture(pm: PmRunner) -> None:
    report = pm("--demo", "risk", "--json", "--var-method", "flat").json()
    symbols = {p["symbol"] for p in report["positions"]}
    assert "NEE" not in symbols  # the demo's dust lot (0.00004 shares)
    assert "AAPL" in symbols
    assert "Utilities" not in report["sector_exposure"]


def test_demo_flat_method(pm: PmRunner) -> None:
    report = pm("--demo", "risk", "--json", "--var-method", "flat").json()
    equity = report["equity"]
    assert report["var_method"] == "flat"
    assert report["var_95"] == (equity * Decimal("0.02")).quantize(Decimal("0.01"))
    assert report["var_99"] == (equity * Decimal("0.03")).quantize(Decimal("0.01"))
    assert report["cvar_95"] is None


def test_demo_table_names_the_method(pm: PmRunner) -> None:
    out = pm("--demo", "risk", "--var-method", "parametric")
    assert out.code == 1
    assert "parametric" in out.stdout
    assert "Risk level" in out.stdout


def test_alpaca_historical_with_crypto_left_out(pm: PmRunner, data: FakeAlpaca) -> None:
    out = pm("risk", "--json")
    assert out.code == 1
    report = out.json()
    assert report["equity"] == Decimal("100000")
    assert report["var_method"] == "historical"
    assert report["var_excluded"] == ["BTCUSD"]
    assert "leaves out 1 position" in out.stderr
    assert "BTCUSD" in out.stderr
    # BTCUSD is 32 % of equity: a position breach (HIGH), and the Crypto sector at 32 %
    # escalates it to CRITICAL
    assert (report["max_concentration_symbol"], report["max_concentration_pct"]) == (
        "BTCUSD",
        Decimal("32.0000"),
    )
    assert report["sector_exposure"]["Crypto"] == Decimal("32.0000")
    assert report["sector_breached"] is True
    assert report["risk_level"] == "CRITICAL"
    bars_query = next(r.query for r in data.requests if r.path == "/v2/stocks/bars")
    assert bars_query["symbols"] == ["AAPL,TSLA"]


def test_alpaca_without_history_falls_back_to_flat(pm: PmRunner, data: FakeAlpaca) -> None:
    data.bars = {}
    out = pm("risk", "--json", "--var-method", "historical")
    report = out.json()
    assert report["var_method"] == "flat"
    assert report["var_95"] == Decimal("2000.00")
    assert report["var_99"] == Decimal("3000.00")
    assert "using flat VaR" in out.stderr


@pytest.mark.slow
def test_alpaca_market_data_down_falls_back_to_flat(pm: PmRunner, data: FakeAlpaca) -> None:
    data.script(*([500] * 6), path="/v2/stocks/bars")
    out = pm("--timeout", "2", "risk", "--json")
    assert out.json()["var_method"] == "flat"
    assert "market data" in out.stderr


def test_within_limits_exits_0(pm: PmRunner, data: FakeAlpaca, pm_home: Path) -> None:
    data.positions = [p for p in payload("trading/positions") if p["symbol"] != "BTCUSD"]
    out = pm("risk", "--json", "--var-method", "parametric")
    assert out.code == 0, out.stderr
    report = out.json()
    assert report["risk_level"] == "LOW"
    assert report["alerts"] == []
    assert report["var_method"] == "parametric"
    assert report["concentration_breached"] is False
    assert report["sector_breached"] is False
    assert report["drawdown_pct"] == Decimal("0.0000")
    assert stored_alerts(pm_home) == []
    assert report["circuit_breaker"] == "ACTIVE"
    assert report["circuit_breaker_tripped_now"] is False


def test_drawdown_from_stored_snapshots(pm: PmRunner, data: FakeAlpaca) -> None:
    data.positions = []
    data.account = {**data.account, "equity": "110000"}
    assert pm("snapshot", "--json").code == 0  # stores a peak of 110000
    data.account = {**data.account, "equity": "100000"}
    out = pm("risk", "--json")
    report = out.json()
    assert report["peak_equity"] == Decimal("110000")
    assert report["drawdown_pct"] == Decimal("9.0909")
    assert report["risk_level"] == "CRITICAL"
    assert out.code == 1
    assert report["alerts"][0]["code"] == "drawdown_breached"


def test_a_critical_book_trips_the_breaker_once(pm: PmRunner, data: FakeAlpaca) -> None:
    first = pm("risk", "--json", "--var-method", "flat")
    assert first.code == 1
    assert first.json()["risk_level"] == "CRITICAL"
    assert first.json()["circuit_breaker"] == "HALTED"
    assert first.json()["circuit_breaker_tripped_now"] is True
    status = pm("breaker", "status", "--json").json()
    assert status["state"] == "HALTED"
    assert "CRITICAL" in status["reason"]
    again = pm("risk", "--json", "--var-method", "flat").json()
    assert again["circuit_breaker"] == "HALTED"
    assert again["circuit_breaker_tripped_now"] is False
    table = pm("risk", "--var-method", "flat")
    assert "HALTED" in table.stdout


def test_limits_come_from_settings(
    pm: PmRunner, data: FakeAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_MAX_POSITION_PCT", "40")
    monkeypatch.setenv("PM_MAX_SECTOR_PCT", "40")
    out = pm("risk", "--json")
    assert out.code == 0, out.stderr
    report = out.json()
    assert report["risk_level"] == "MEDIUM"  # 32 % is 80 % of 40 %: warnings only
    assert {a["level"] for a in report["alerts"]} == {"warning"}


def test_bad_method_is_usage_error(pm: PmRunner) -> None:
    assert pm("--demo", "risk", "--var-method", "monte-carlo").code == 2


def test_demo_var_is_on_the_equity_calendar(pm: PmRunner) -> None:
    # The demo holds equities and BTCUSD: returns are taken on trading days only (about 261 a
    # year), never on the weekends where the equities would show zero returns.
    report = pm("--demo", "risk", "--json").json()
    assert report["var_method"] == "historical"
    assert 250 <= report["var_days"] <= 262


def test_bars_are_checked(pm: PmRunner, data: FakeAlpaca) -> None:
    short = daily_bars(100.0, days=60, seed=3)
    short[-5]["c"] = float(short[-6]["c"]) * 2  # a one-day jump of +100 %
    data.bars["TSLA"] = short
    out = pm("risk", "--json")
    first = short[0]["t"][:10]  # type: ignore[index]
    assert f"TSLA: price history only from {first}" in out.stderr
    assert "a possible split or data error" in out.stderr
    assert out.json()["var_method"] == "historical"

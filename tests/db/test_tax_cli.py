"""`pm tax lots`, `pm tax harvest` and the wash-sale guard, on SQLite and PostgreSQL: on the
demo, and against the Alpaca stand-in with a ledger the test writes (a loss held for a year,
a loss bought 10 days ago)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pm.db.tables import audit_log
from tests.db.test_order_path import rows
from tests.support.fake_alpaca import FakeAlpaca, payload
from tests.support.pm_cli import call, isolate

API_KEY = "PKTESTKEYID0000000001"
SECRET_KEY = "sEcReT-do-not-print-0123456789abcdef"


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("PM_DATABASE_URL", db_url)
    return db_url


# -- the demo ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_lots_harvest_and_the_wash_sale_guard(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    positions = {p["symbol"]: p for p in call("--demo", "positions", "--json").json()}
    lots = call("--demo", "tax", "lots", "--json").json()
    longs = [x for x in lots if x["side"] == "long" and x["symbol"] in positions]  # not dust
    # the demo's seeded positions: one lot each, valued at the position's price
    for x in longs:
        p = positions[x["symbol"]]
        assert Decimal(str(x["current_price"])) == Decimal(str(p["current_price"]))
        assert x["term"] == "long"
        assert x["days_to_long_term"] == 0
    losing = {s for s, p in positions.items() if p["side"] == "long" and p["unrealized_pl"] < 0}
    listed = call("--demo", "tax", "harvest", "--min-loss", "0", "--json").json()
    assert {c["symbol"] for c in listed} == losing  # exactly the long positions at a loss
    assert all(c["est_realized_pl"] < 0 and c["qty"] == c["held_qty"] for c in listed)
    assert losing, "the demo holds a losing position on every date"
    ready = sorted(c["symbol"] for c in listed if c["executable"])
    done = call("--demo", "tax", "harvest", "--min-loss", "0", "--execute", "--yes", "--json")
    assert done.code == 0, done.stderr
    sold = done.json()
    assert sorted(o["symbol"] for o in sold["orders"]) == ready
    assert all(o["client_order_id"].startswith("pm-tax-harvest-") for o in sold["orders"])
    assert all(o["status"] == "filled" for o in sold["orders"])
    (row,) = [r for r in rows(env, audit_log) if r["action"] == "tax-harvest"]
    assert row["outcome"] == "succeeded"
    orders = call("--demo", "orders", "--status", "all", "--json").json()
    assert {o["origin"] for o in orders} == {"tax-harvest"}
    assert all("tax_harvest" in o["reason_codes"] for o in orders)
    # the loss is realized in the ledger, and buying the symbol back now washes it
    symbol = ready[0]
    closed = call("--demo", "trades", "lots", "--closed", "--symbol", symbol, "--json").json()
    assert closed[-1]["realized_pl"] < 0
    warned = call("--demo", "validate", symbol, "--side", "buy", "--qty", "1", "--json")
    assert warned.code == 0, warned.stderr
    assert [w["code"] for w in warned.json()["warnings"] if w["code"] == "wash_sale"] == [
        "wash_sale"
    ]
    monkeypatch.setenv("PM_WASH_SALE", "block")
    blocked = call("--demo", "validate", symbol, "--side", "buy", "--qty", "1", "--json")
    assert blocked.code == 1
    assert blocked.json()["reason_codes"] == ["wash_sale"]
    # a second harvest finds nothing more to sell
    again = call("--demo", "tax", "harvest", "--min-loss", "0", "--json").json()
    assert not [c for c in again if c["symbol"] in ready]
    # a tax-aware plan that buys it back flags the wash sale
    monkeypatch.delenv("PM_WASH_SALE")
    policy = ("--demo", "policy", "create", "back", "--target", f"{symbol}=2", "--cash-pct", "98")
    assert call(*policy).code == 0
    assert call("--demo", "policy", "activate", "back").code == 0
    planned = call("--demo", "rebalance", "plan", "--tax-aware", "--json")
    assert planned.code == 0, planned.stderr
    doc = planned.json()
    (buy,) = [i for i in doc["intents"] if i["side"] == "buy"]
    assert (buy["symbol"], buy["wash_sale"]) == (symbol, True)
    assert doc["tax"]["wash_sale_buys"] == [symbol]
    assert all(i["est_realized_gain"] is not None for i in doc["intents"] if i["side"] == "sell")


def test_harvest_options_are_checked(env: str) -> None:
    assert call("--demo", "tax", "harvest", "--min-loss", "-5").code == 2
    assert call("--demo", "tax", "harvest", "--yes").code == 2  # --yes without --execute
    refused = call("--demo", "tax", "harvest", "--min-loss", "0", "--execute")
    assert refused.code == 2  # not confirmed off a terminal
    assert [r for r in rows(env, audit_log) if r["action"] == "tax-harvest"] == []


# -- against the Alpaca stand-in ---------------------------------------------------------------


def _position(symbol: str, qty: str, entry: str, price: str) -> dict[str, Any]:
    p = payload("trading/positions")[0]
    value = Decimal(qty) * Decimal(price)
    cost = Decimal(qty) * Decimal(entry)
    p.update(
        asset_id=str(uuid.uuid4()),
        symbol=symbol,
        qty=qty,
        qty_available=qty,
        avg_entry_price=entry,
        current_price=price,
        lastday_price=price,
        market_value=str(value),
        cost_basis=str(cost),
        unrealized_pl=str(value - cost),
        unrealized_plpc=str((value - cost) / cost),
    )
    return p


def _fill(symbol: str, side: str, qty: str, price: str, when: datetime) -> dict[str, Any]:
    stamp = when.strftime("%Y%m%d%H%M%S") + f"{when.microsecond // 1000:03d}"
    return {
        "id": f"{stamp}::{uuid.uuid4()}",
        "activity_type": "FILL",
        "transaction_time": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "type": "fill",
        "price": price,
        "qty": qty,
        "side": side,
        "symbol": symbol,
        "leaves_qty": "0",
        "order_id": str(uuid.uuid4()),
        "cum_qty": qty,
        "order_status": "filled",
    }


@pytest.fixture
def alpaca(env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAlpaca]:
    now = datetime.now(UTC).replace(microsecond=0)
    with FakeAlpaca() as server:
        monkeypatch.setenv("ALPACA_API_KEY", API_KEY)
        monkeypatch.setenv("ALPACA_SECRET_KEY", SECRET_KEY)
        monkeypatch.setenv("ALPACA_BASE_URL", server.base_url)
        monkeypatch.setenv("ALPACA_DATA_URL", server.base_url)
        server.positions = [
            _position("XYZ", "10", "100", "80"),  # bought 400 days ago: -200, long term
            _position("ABC", "5", "50", "40"),  # bought 10 days ago: -50, a wash sale
        ]
        server.activities = [
            _fill("ABC", "buy", "5", "50", now - timedelta(days=10)),
            _fill("XYZ", "buy", "10", "100", now - timedelta(days=400)),
        ]
        server.latest_trades.update({"XYZ": 80.0, "ABC": 40.0})
        yield server


def test_harvest_against_alpaca_never_sells_a_wash_sale(
    alpaca: FakeAlpaca, env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert call("trades", "sync").code == 0
    lots = {x["symbol"]: x for x in call("tax", "lots", "--json").json()}
    assert (lots["XYZ"]["unrealized_gain"], lots["XYZ"]["term"]) == (-200, "long")
    assert (lots["ABC"]["unrealized_gain"], lots["ABC"]["term"]) == (-50, "short")
    assert lots["ABC"]["days_to_long_term"] in (356, 357)  # New York's date vs UTC's
    listed = {c["symbol"]: c for c in call("tax", "harvest", "--min-loss", "10", "--json").json()}
    assert (listed["XYZ"]["executable"], listed["XYZ"]["est_realized_pl"]) == (True, -200)
    assert (listed["XYZ"]["est_long_term_pl"], listed["XYZ"]["wash_sale"]) == (-200, False)
    assert listed["ABC"]["wash_sale"] is True
    assert listed["ABC"]["executable"] is False
    assert "10 days before the sale" in listed["ABC"]["wash_sale_reason"]
    assert list(call("tax", "harvest", "--min-loss", "100", "--json").json()[0]) == list(
        listed["XYZ"]
    )
    done = call("tax", "harvest", "--min-loss", "10", "--execute", "--yes", "--json")
    assert done.code == 0, done.stderr
    result = done.json()
    (order,) = result["orders"]
    assert (order["symbol"], order["side"], order["qty"]) == ("XYZ", "sell", 10)
    assert order["client_order_id"].startswith("pm-tax-harvest-")
    assert result["skipped"][0]["symbol"] == "ABC"
    posted = [r for r in alpaca.requests if r.method == "POST" and r.path == "/v2/orders"]
    assert len(posted) == 1
    assert [p["symbol"] for p in alpaca.positions] == ["ABC"]
    # the loss sale is in the ledger: buying XYZ back is a wash sale (warned, or blocked)
    warned = call("validate", "XYZ", "--side", "buy", "--qty", "1", "--json")
    assert warned.code == 0, warned.stderr
    assert "wash_sale" in [w["code"] for w in warned.json()["warnings"]]
    monkeypatch.setenv("PM_WASH_SALE", "block")
    blocked = call("validate", "XYZ", "--side", "buy", "--qty", "1", "--json")
    assert blocked.code == 1
    assert blocked.json()["reason_codes"] == ["wash_sale"]
    other = call("validate", "ABC", "--side", "buy", "--qty", "1", "--json")
    assert other.code == 0  # ABC was never sold at a loss
    # only the wash sale is left: refused, nothing sent
    refused = call("tax", "harvest", "--min-loss", "10", "--execute", "--yes", "--json")
    assert refused.code == 1
    assert "wash sale" in refused.error()["message"]
    assert len([r for r in alpaca.requests if r.method == "POST"]) == 1
    actions = [(r["action"], r["outcome"]) for r in rows(env, audit_log)]
    assert actions == [("tax-harvest", "succeeded")]


def test_an_open_buy_order_makes_a_harvest_a_wash_sale(alpaca: FakeAlpaca) -> None:
    order = payload("trading/order_new_market_qty")
    order.update(id="resting", client_order_id="resting", symbol="XYZ", side="buy", status="new")
    alpaca.orders["resting"] = order
    assert call("trades", "sync").code == 0
    listed = {c["symbol"]: c for c in call("tax", "harvest", "--json").json()}
    assert listed["XYZ"]["wash_sale"] is True
    assert "open buy order" in listed["XYZ"]["blocked"]
    assert call("tax", "harvest", "--execute", "--yes").code == 1
    assert not [r for r in alpaca.requests if r.method == "POST"]


def test_tax_aware_plan_against_alpaca_leaves_short_term_gains_within_the_tolerance(
    alpaca: FakeAlpaca,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    alpaca.account.update(equity="100000", last_equity="100000", cash="90000")
    alpaca.account.update(buying_power="90000")
    alpaca.positions = [_position("AAPL", "100", "78", "100")]  # 10 % of equity
    alpaca.activities = [
        _fill("AAPL", "buy", "70", "90", now - timedelta(days=20)),  # short term, +10 each
        _fill("AAPL", "buy", "30", "50", now - timedelta(days=500)),  # long term, +50 each
    ]
    assert call("trades", "sync").code == 0
    made = call("policy", "create", "core", "--target", "AAPL=4", "--cash-pct", "96")
    assert made.code == 0, made.stderr
    assert call("policy", "activate", "core").code == 0
    plain = call("rebalance", "plan", "--json")
    assert plain.code == 0, plain.stderr
    (sell,) = plain.json()["intents"]
    assert (sell["symbol"], sell["qty"]) == ("AAPL", 60)  # down to 4 %
    assert "tax" not in plain.json()
    assert "est_realized_gain" not in sell
    taxed = call("rebalance", "plan", "--tax-aware", "--json")
    assert taxed.code == 0, taxed.stderr
    doc = taxed.json()
    (cut,) = doc["intents"]
    # PM_TAX_DRIFT_TOLERANCE_PCT (1) lets AAPL end at 5 %: 50 sold, the last 10 short-term
    # shares (a gain) left for later
    assert (cut["qty"], cut["plain_qty"]) == (50, 60)
    assert (cut["est_long_term_gain"], cut["est_short_term_gain"]) == (1500, 200)
    assert cut["est_realized_gain"] == 1700
    tax = doc["tax"]
    assert (tax["tax_aware"], tax["est_realized_gain"], tax["plain_est_short_term_gain"]) == (
        True,
        1700,
        300,
    )
    assert tax["estimate_complete"] is True
    assert doc["totals"]["drift_after_pct"] <= tax["plain_drift_after_pct"] + 1
    assert any("cut to 50" in w for w in doc["warnings"])
    table = call("rebalance", "plan", "--tax-aware")
    assert "Est. gain" in table.stdout
    assert "+1,700.00" in table.stdout

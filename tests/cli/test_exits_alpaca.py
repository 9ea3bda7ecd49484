"""`pm exits` against the local Alpaca stand-in: minute bars move the high-water mark (a
spike between two checks is not missed, for stocks and crypto; one bars request each,
timeframe 1Min)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from pm.db.engine import open_database
from pm.db.tables import exit_events, fills
from tests.support.fake_alpaca import FakeAlpaca
from tests.support.pm_cli import call, isolate

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def point_at(monkeypatch: pytest.MonkeyPatch, server: FakeAlpaca) -> None:
    server.activities = []
    for name, value in (
        ("ALPACA_API_KEY", "PKTESTKEY000000000001"),
        ("ALPACA_SECRET_KEY", "secret-0123456789abcdef"),
        ("ALPACA_BASE_URL", server.base_url),
        ("ALPACA_DATA_URL", server.base_url),
    ):
        monkeypatch.setenv(name, value)


def test_minute_bars_between_checks_move_the_high_water_mark(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate(monkeypatch, tmp_path)
    now = [NOW]
    monkeypatch.setattr("pm.cli.context.SystemClock.now", lambda self: now[0])
    with FakeAlpaca() as server:
        point_at(monkeypatch, server)
        assert call("exits", "set", "AAPL", "--no-take-profit", "--trail", "3").code == 0
        first = call("exits", "status", "--json")
        assert first.code == 0, first.stderr
        aapl = next(p for p in first.json() if p["symbol"] == "AAPL")
        assert aapl["hwm"] == Decimal("190.5")  # the price: AAPL 180 -> 190.50
        spike = (NOW + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
        server.bars = {
            "AAPL": [
                {
                    "t": spike,
                    "o": 191,
                    "h": 201.25,
                    "l": 190.9,
                    "c": 191.2,
                    "v": 900,
                    "n": 9,
                    "vw": 195.1,
                },
            ]
        }
        now[0] = NOW + timedelta(minutes=5)
        done = call("exits", "check", "--json")
        assert done.code == 0, done.stderr
        aapl = next(p for p in done.json()["positions"] if p["symbol"] == "AAPL")
        assert aapl["hwm"] == Decimal("201.25")
        assert aapl["stop"] == Decimal("195.2125")  # 3 % under the spike
        fires = done.json()["fires"]
        assert [(f["symbol"], f["level"], f["qty"]) for f in fires] == [
            ("AAPL", "trail", Decimal(10))
        ]
        bars = [r for r in server.requests if r.path == "/v2/stocks/bars"]
        assert len(bars) == 1
        assert bars[0].query["timeframe"] == ["1Min"]
        assert bars[0].query["symbols"] == ["AAPL"]
        assert server.count("POST", "/v2/orders") == 0  # without --execute nothing is sent
    with open_database(f"sqlite:///{tmp_path / 'pm.db'}") as db, db.engine.connect() as conn:
        logged = [r.message for r in conn.execute(select(exit_events).order_by(exit_events.c.id))]
    assert "hwm 190.5 -> 201.25" in logged
    assert any("trail 3 % under the hwm" in m for m in logged)


def test_a_crypto_spike_between_checks_moves_the_high_water_mark(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate(monkeypatch, tmp_path)
    now = [NOW]
    monkeypatch.setattr("pm.cli.context.SystemClock.now", lambda self: now[0])
    with FakeAlpaca() as server:
        point_at(monkeypatch, server)
        set_ = call("exits", "set", "BTCUSD", "--no-take-profit", "--trail", "3")
        assert set_.code == 0, set_.stderr
        first = call("exits", "status", "--json")
        assert first.code == 0, first.stderr
        btc = next(p for p in first.json() if p["symbol"] == "BTCUSD")
        assert btc["hwm"] == Decimal(64000)  # the price: BTCUSD 60000 -> 64000
        spike = (NOW + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        server.crypto_bars = {
            "BTC/USD": [
                {"t": spike, "o": 64100, "h": 70000.5, "l": 64050, "c": 64200, "v": 1.5,
                 "n": 40, "vw": 66000},
            ]
        }  # fmt: skip
        now[0] = NOW + timedelta(minutes=5)
        done = call("exits", "check", "--json")
        assert done.code == 0, done.stderr
        btc = next(p for p in done.json()["positions"] if p["symbol"] == "BTCUSD")
        assert btc["hwm"] == Decimal("70000.5")
        assert btc["stop"] == Decimal("67900.485")  # 3 % under the spike
        fires = done.json()["fires"]
        assert [(f["symbol"], f["level"], f["qty"]) for f in fires] == [
            ("BTCUSD", "trail", Decimal("0.5"))
        ]
        crypto = [r for r in server.requests if r.path == "/v1beta3/crypto/us/bars"]
        assert len(crypto) == 1
        assert crypto[0].query["symbols"] == ["BTC/USD"]
        assert crypto[0].query["timeframe"] == ["1Min"]
        assert server.count("GET", "/v2/stocks/bars") == 0  # no stock has a rule
        assert server.count("POST", "/v2/orders") == 0
    with open_database(f"sqlite:///{tmp_path / 'pm.db'}") as db, db.engine.connect() as conn:
        logged = [r.message for r in conn.execute(select(exit_events).order_by(exit_events.c.id))]
    assert "hwm 64000 -> 70000.5" in logged


def test_native_places_one_trailing_stop_order_and_tracks_its_fill(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate(monkeypatch, tmp_path)
    with FakeAlpaca() as server:
        point_at(monkeypatch, server)
        server.fill_orders = False  # the broker trails it; it rests until the stop is hit
        set_ = call("exits", "set", "AAPL", "--native", "--trail", "4", "--json")
        assert set_.code == 0, set_.stderr
        assert set_.json()["take_profit"] == []
        first = call("exits", "check", "--execute", "--yes", "--json")
        assert first.code == 0, first.stderr
        (fire,) = first.json()["fires"]
        assert (fire["level"], fire["qty"], fire["status"]) == ("native", Decimal(10), "new")
        (posted,) = [r for r in server.requests if r.method == "POST"]
        body = json.loads(posted.body)
        assert (body["type"], body["trail_percent"], body["time_in_force"]) == (
            "trailing_stop",
            "4",
            "gtc",
        )
        assert body["client_order_id"] == fire["client_order_id"]
        again = call("exits", "check", "--execute", "--yes", "--json")
        assert again.json()["fires"] == []  # the open order is the stop: never a second one
        assert server.count("POST", "/v2/orders") == 1
        server._fill(server.orders[fire["client_order_id"]])  # the broker's stop is hit
        last = call("exits", "check", "--execute", "--yes", "--json")
        assert last.code == 0, last.stderr
        assert "AAPL" not in [p["symbol"] for p in last.json()["positions"]]
        assert server.count("POST", "/v2/orders") == 1
        (order,) = call("orders", "--status", "all", "--json").json()
    assert (order["order_type"], order["status"], order["origin"]) == (
        "trailing_stop",
        "filled",
        "exit",
    )
    with open_database(f"sqlite:///{tmp_path / 'pm.db'}") as db, db.engine.connect() as conn:
        (fill,) = conn.execute(select(fills)).all()
    assert (fill.symbol, fill.side, fill.qty) == ("AAPL", "sell", Decimal(10))


def test_dust_is_not_tracked_and_fires_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate(monkeypatch, tmp_path)
    monkeypatch.setattr("pm.cli.context.SystemClock.now", lambda self: NOW)
    with FakeAlpaca() as server:
        point_at(monkeypatch, server)
        aapl = next(p for p in server.positions if p["symbol"] == "AAPL")
        # what a partial close can leave: far below a share, far above its entry
        aapl.update(qty="0.00004", qty_available="0.00004", market_value="0.01")
        assert call("exits", "set", "--take-profit", "1:50").code == 0
        done = call("exits", "check", "--execute", "--yes", "--json")
        assert done.code == 0, done.stderr
        row = next(p for p in done.json()["positions"] if p["symbol"] == "AAPL")
        assert (row["skipped"], row["position_key"]) == ("dust", None)
        assert "AAPL" not in [f["symbol"] for f in done.json()["fires"]]
        sent = [json.loads(r.body) for r in server.requests if r.path == "/v2/orders"]
        assert sent  # the other positions' exits went out
        assert "AAPL" not in [order["symbol"] for order in sent]

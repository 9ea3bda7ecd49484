"""`pm orders` and `pm orders cancel`, on the demo and against the Alpaca stand-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.cli.conftest import PmRunner
from tests.cli.safety import audit_rows, calm
from tests.support.fake_alpaca import FakeAlpaca, payload


def _open_order(server: FakeAlpaca, cid: str, symbol: str = "AAPL") -> dict[str, Any]:
    order = payload("trading/order_new_market_qty")
    order.update(id=f"id-{cid}", client_order_id=cid, symbol=symbol, status="new")
    server.orders[cid] = order
    return order


def test_demo_orders_lists_pms_orders(pm: PmRunner) -> None:
    assert pm("--demo", "orders", "--json").json() == []
    assert pm("--demo", "close", "AAPL", "--qty", "2", "--yes").code == 0
    assert pm("--demo", "orders", "--json").json() == []  # filled: not open
    (order,) = pm("--demo", "orders", "--status", "all", "--json").json()
    assert (order["origin"], order["symbol"], order["side"], order["qty"]) == (
        "close",
        "AAPL",
        "sell",
        2,
    )
    assert order["status"] == "filled"
    assert [h["status"] for h in order["status_history"]] == ["pending", "filled"]
    assert order["reason_codes"] == ["reducing"]
    (at_broker,) = pm("--demo", "orders", "--status", "all", "--broker", "--json").json()
    assert at_broker["client_order_id"] == order["client_order_id"]
    assert at_broker["pm"] is True
    table = pm("--demo", "orders", "--status", "all")
    assert "AAPL" in table.stdout
    assert order["client_order_id"] in table.stdout
    bad = pm("--demo", "orders", "--status", "closed")
    assert bad.code == 2
    assert "--status" in bad.stderr


def test_demo_cancel_of_a_filled_order_is_refused(pm: PmRunner, pm_home: Path) -> None:
    assert pm("--demo", "close", "AAPL", "--qty", "2", "--yes").code == 0
    refused = pm("--demo", "orders", "cancel", "1", "--yes", "--json")
    assert refused.code == 1
    assert "not cancelable" in refused.error()["message"]
    missing = pm("--demo", "orders", "cancel", "99", "--yes")
    assert missing.code == 4
    assert pm("--demo", "orders", "cancel", "--yes").code == 2  # neither ID nor --all
    assert pm("--demo", "orders", "cancel", "1").code == 2  # not confirmed
    actions = [(r["action"], r["outcome"]) for r in audit_rows(pm_home)]
    assert actions == [("close", "succeeded"), ("orders-cancel", "failed")]


def test_broker_orders_and_cancel_all(pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path) -> None:
    _open_order(alpaca, "someone-else-1")
    _open_order(alpaca, "someone-else-2", "TSLA")
    listed = pm("orders", "--broker", "--json").json()
    assert sorted(o["client_order_id"] for o in listed) == ["someone-else-1", "someone-else-2"]
    assert all(o["pm"] is False for o in listed)
    one = pm("orders", "cancel", "id-someone-else-1", "--yes", "--json")
    assert one.code == 0, one.stderr
    assert one.json()["cancelled"] == 1
    assert alpaca.count("DELETE", "/v2/orders/id-someone-else-1") == 1
    every = pm("orders", "cancel", "--all", "--yes", "--json")
    assert every.code == 0, every.stderr
    assert [r["order_id"] for r in every.json()["results"]] == ["id-someone-else-2"]
    assert pm("orders", "--broker", "--json").json() == []
    assert [r["action"] for r in audit_rows(pm_home)] == ["orders-cancel", "orders-cancel"]


def test_cancel_of_an_empty_id_is_bad_input_and_sends_nothing(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path
) -> None:
    # `pm orders cancel "$ID" --yes` with ID unset sent DELETE /v2/orders/ (Alpaca's cancel-all
    # path but for the slash) and audited it, then said "no open order" (exit 4)
    _open_order(alpaca, "someone-else-1")
    for order_id in ("", " "):
        out = pm("orders", "cancel", order_id, "--yes", "--json")
        assert out.code == 2, out.stderr
        assert "the order id is empty" in out.error()["message"]
    assert alpaca.count("DELETE") == 0
    assert audit_rows(pm_home) == []


def test_close_all_cancels_open_orders_before_closing(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path
) -> None:
    calm(alpaca)
    _open_order(alpaca, "resting-limit")
    done = pm("close-all", "--emergency", "--yes", "--json")
    assert done.code == 0, done.stderr
    methods = [(r.method, r.path) for r in alpaca.requests if r.method != "GET"]
    assert methods[0] == ("DELETE", "/v2/orders")
    assert sorted(methods[1:]) == [("POST", "/v2/orders")] * 2
    assert alpaca.orders["resting-limit"]["status"] == "canceled"
    assert alpaca.positions == []
    (row,) = audit_rows(pm_home)
    assert row["outcome_details"]["cancelled_orders"] == 1


def test_watch_settles_an_order_a_dead_process_left(pm: PmRunner, pm_home: Path) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from pm.broker.demo.seed import DEMO_ACCOUNT_ID
    from pm.db.engine import open_database
    from pm.domain.pm_orders import OrderIntent

    assert pm("--demo", "positions", "--json").code == 0
    with open_database(f"sqlite:///{pm_home / 'pm.db'}") as db:
        audit_id, (row,) = db.repository().orders.begin(
            account_id=DEMO_ACCOUNT_ID,
            action="close",
            arguments={},
            os_user="me",
            host="box",
            at=datetime.now(UTC),
            origin="close",
            origin_ref=None,
            intents=[OrderIntent("AAPL", "sell", qty=Decimal(1))],
        )
    assert pm("--demo", "watch", "--once", "--json").code == 0
    with open_database(f"sqlite:///{pm_home / 'pm.db'}") as db:
        settled = db.repository().orders.get(DEMO_ACCOUNT_ID, row.id)
    assert settled.status == "not_sent"  # the demo broker never heard of it
    (entry,) = [r for r in audit_rows(pm_home) if r["id"] == audit_id]
    assert entry["outcome"] == "failed"


def test_orders_status_is_case_insensitive_like_every_choice(pm: PmRunner) -> None:
    assert pm("--demo", "close", "AAPL", "--qty", "2", "--yes").code == 0
    done = pm("--demo", "orders", "--status", "ALL", "--json")
    assert done.code == 0, done.stderr
    assert [o["symbol"] for o in done.json()] == ["AAPL"]
    broker = pm("--demo", "orders", "--broker", "--status", "All", "--json")
    assert broker.code == 0, broker.stderr
    assert [o["symbol"] for o in broker.json()] == ["AAPL"]

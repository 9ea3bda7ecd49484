"""`pm validate --json` and the order paths know what the broker knows: each broker rule is
rejected with its reason code and sentence; a closed market is a warning, not a rejection."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import PmRunner
from tests.cli.safety import audit_rows, calm
from tests.support.fake_alpaca import FakeAlpaca, payload


@pytest.fixture
def broker(alpaca: FakeAlpaca) -> FakeAlpaca:
    """AAPL 10 long (190.50), TSLA 5 short; equity 100,000."""
    calm(alpaca)
    return alpaca


def held_for_orders(srv: FakeAlpaca, symbol: str, available: str) -> None:
    srv.positions = [
        {**p, "qty_available": available} if p["symbol"] == symbol else p for p in srv.positions
    ]


def validate(pm: PmRunner, *args: str) -> tuple[int, dict[str, Any]]:
    done = pm("validate", *args, "--json")
    return done.code, done.json()


def test_the_json_carries_codes_warnings_and_what_is_available(
    pm: PmRunner, broker: FakeAlpaca
) -> None:
    code, data = validate(pm, "AAPL", "--side", "buy", "--qty", "1")
    assert code == 0
    for key in ("reason_codes", "rejections", "warnings", "broker_rules_ok", "qty_available"):
        assert key in data
    assert data["reason_codes"] == []
    assert data["warnings"] == []
    assert data["market_open"] is True
    assert data["qty_available"] == Decimal(10)
    assert broker.count("GET", "/v2/clock") == 1


def test_selling_shares_held_for_open_orders_is_rejected(pm: PmRunner, broker: FakeAlpaca) -> None:
    held_for_orders(broker, "AAPL", "4")
    code, data = validate(pm, "AAPL", "--side", "sell", "--qty", "5")
    assert code == 1
    assert data["reducing"] is True
    assert data["reason_codes"] == ["qty_available"]
    assert data["broker_rules_ok"] is False
    assert data["rejections"] == [
        {
            "code": "qty_available",
            "reason": "qty available: sell 5 AAPL but only 4 of 10 are available "
            "(6 held for open orders)",
        }
    ]
    assert data["reasons"] == [data["rejections"][0]["reason"]]  # the existing field stays
    assert validate(pm, "AAPL", "--side", "sell", "--qty", "4")[0] == 0


def test_the_reference_position_held_for_orders(pm: PmRunner, broker: FakeAlpaca) -> None:
    broker.positions = [payload("trading/position_held_for_orders")]
    code, data = validate(pm, "AAPL", "--side", "sell", "--qty", "35")
    assert code == 1
    assert data["qty_available"] == Decimal(15)
    assert "20 held for open orders" in data["reasons"][0]


def test_a_restricted_account(pm: PmRunner, broker: FakeAlpaca) -> None:
    broker.account = payload("trading/account_restricted")
    code, data = validate(pm, "MSFT", "--side", "sell", "--qty", "1", "--price", "400")
    assert code == 1
    assert data["reason_codes"] == ["trading_blocked", "shorting_disabled"]
    # even closing is refused: the broker would refuse it
    code, data = validate(pm, "AAPL", "--side", "sell", "--qty", "10")
    assert code == 1
    assert data["reason_codes"] == ["trading_blocked"]


@pytest.mark.parametrize("flag", ["trading_blocked", "account_blocked", "trade_suspended_by_user"])
def test_each_account_flag(pm: PmRunner, broker: FakeAlpaca, flag: str) -> None:
    broker.account = {**broker.account, flag: True}
    done = pm("validate", "AAPL", "--side", "buy", "--qty", "1")
    assert done.code == 1
    assert flag in done.stderr  # the closing line names the rule
    assert f"`{flag}`" in done.stdout


def test_crypto_cannot_be_sold_short(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    code, data = validate(pm, "BTCUSD", "--side", "sell", "--qty", "0.6")  # 0.5 held
    assert code == 1
    assert "crypto_short" in data["reason_codes"]
    code, data = validate(pm, "ETH/USD", "--side", "sell", "--qty", "0.1", "--price", "3000")
    assert code == 1
    assert "crypto_short" in data["reason_codes"]  # the crypto book is over its limits too
    assert data["market_open"] is None  # crypto trades around the clock


def test_a_fractional_short(pm: PmRunner, broker: FakeAlpaca) -> None:
    code, data = validate(pm, "MSFT", "--side", "sell", "--qty", "1.5", "--price", "400")
    assert code == 1
    assert data["reason_codes"] == ["fractional_short"]
    assert validate(pm, "MSFT", "--side", "sell", "--qty", "1", "--price", "400")[0] == 0


def test_the_pdt_fields_without_day_trades_change_nothing(pm: PmRunner, broker: FakeAlpaca) -> None:
    broker.account = {
        **payload("trading/account_before_2026-07-06_with_pdt_fields"),
        "daytrade_count": 3,
    }
    code, data = validate(pm, "AAPL", "--side", "sell", "--qty", "5")
    assert code == 0, data  # no fill of AAPL today in pm's ledger: not a day trade
    assert data["reason_codes"] == []


def test_a_notional_under_one_dollar(pm: PmRunner, broker: FakeAlpaca) -> None:
    code, data = validate(pm, "AAPL", "--side", "buy", "--notional", "0.5")
    assert code == 1
    assert data["reason_codes"] == ["notional_minimum"]


def test_limits_are_compared_exactly(pm: PmRunner, broker: FakeAlpaca) -> None:
    """At 10M equity the 5 % limit is 500,000; 4.999 over rounds to 5.0000 % and is refused."""
    broker.account = {
        **broker.account,
        "equity": "10000000",
        "last_equity": "10000000",
        "buying_power": "20000000",
    }
    args = ("MSFT", "--side", "buy", "--qty", "1")
    code, data = validate(pm, *args, "--price", "500004.999")
    assert code == 1
    assert data["position_pct"] == Decimal("5.0000")
    assert data["reason_codes"] == ["position_limit"]
    assert data["position_limit_ok"] is False
    assert validate(pm, *args, "--price", "500000")[0] == 0


def test_a_closed_market_is_a_warning_not_a_rejection(pm: PmRunner, broker: FakeAlpaca) -> None:
    broker.clock = payload("trading/clock_closed")
    code, data = validate(pm, "AAPL", "--side", "buy", "--qty", "1")
    assert code == 0
    assert data["approved"] is True
    assert data["market_open"] is False
    (warning,) = data["warnings"]
    assert warning["code"] == "market_closed"
    assert "queues it until the open (next open 2024-11-29 09:30 EST)" in warning["message"]
    table = pm("validate", "AAPL", "--side", "buy", "--qty", "1")
    assert "note: the market is closed" in table.stdout


def test_an_unreadable_clock_only_drops_the_note(pm: PmRunner, broker: FakeAlpaca) -> None:
    broker.script(500, 500, 500, 500, path="/v2/clock")
    code, data = validate(pm, "AAPL", "--side", "buy", "--qty", "1")
    assert code == 0
    assert data["market_open"] is None


# -- the order paths ------------------------------------------------------------------------


def test_close_refuses_shares_held_for_orders_and_sends_nothing(
    pm: PmRunner, broker: FakeAlpaca, pm_home: Path
) -> None:
    held_for_orders(broker, "AAPL", "4")
    done = pm("close", "AAPL", "--qty", "5", "--yes")
    assert done.code == 1
    assert "[qty_available]" in done.stderr
    assert broker.count("DELETE") == 0
    assert broker.count("POST", "/v2/orders") == 0
    assert audit_rows(pm_home) == []
    assert pm("close", "AAPL", "--qty", "4", "--yes").code == 0


def test_close_refuses_on_a_blocked_account(pm: PmRunner, broker: FakeAlpaca) -> None:
    broker.account = {**broker.account, "trading_blocked": True}
    done = pm("close", "AAPL", "--yes")
    assert done.code == 1
    assert "trading_blocked" in done.stderr
    assert broker.count("DELETE") == 0
    assert broker.count("POST", "/v2/orders") == 0


def test_close_all_is_not_stopped_by_orders_it_cancels(pm: PmRunner, broker: FakeAlpaca) -> None:
    """close-all cancels the open orders first, so their held shares do not block it."""
    held_for_orders(broker, "AAPL", "0")
    done = pm("close-all", "--emergency", "--yes")
    assert done.code == 0, done.stderr
    assert broker.count("DELETE", "/v2/orders") == 1
    assert "AAPL" in {order["symbol"] for order in broker.orders.values()}

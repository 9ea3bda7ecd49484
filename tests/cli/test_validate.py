"""`pm validate`: the JSON contract, exit codes, prices, limits from settings, the breaker."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.cli.conftest import PmRunner
from tests.cli.safety import calm
from tests.support.fake_alpaca import FakeAlpaca

FIELDS = {
    "approved",
    "position_limit_ok",
    "sector_limit_ok",
    "daily_loss_ok",
    "circuit_breaker_ok",
    "buying_power_ok",
    "estimated_position_value",
    "position_pct",
    "sector",
    "sector_pct",
    "reasons",
}


@pytest.fixture
def data_api(alpaca: FakeAlpaca) -> FakeAlpaca:
    """The fake also answers the market data API; its book holds AAPL and a TSLA short."""
    calm(alpaca)
    return alpaca


def test_an_approved_order_against_alpaca(pm: PmRunner, data_api: FakeAlpaca) -> None:
    # equity 100,000; AAPL 10 held at 190.50; Information Technology holds only AAPL
    result = pm("validate", "AAPL", "--side", "buy", "--qty", "5", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data) >= FIELDS
    assert data["approved"] is True
    assert data["estimated_position_value"] == Decimal("2857.50")  # (10 + 5) x 190.50
    assert data["position_pct"] == Decimal("2.8575")
    assert data["sector"] == "Information Technology"
    assert data["sector_pct"] == Decimal("2.8575")
    assert data["price_source"] == "position"
    assert data["reasons"] == []
    assert data_api.count("POST", "/v2/orders") == 0  # validation sends nothing


def test_position_limit_rejects_with_exit_1(pm: PmRunner, data_api: FakeAlpaca) -> None:
    result = pm("validate", "AAPL", "--side", "buy", "--qty", "20", "--json")
    assert result.code == 1
    data = result.json()
    assert data["approved"] is False
    assert data["position_limit_ok"] is False
    assert data["sector_limit_ok"] is True
    assert data["position_pct"] == Decimal("5.7150")
    assert data["reasons"] == ["position limit: AAPL would be 5.715 % of equity (limit 5 %)"]
    assert result.error()["error"] == "CheckFailed"


def test_the_position_limit_is_a_setting(
    pm: PmRunner, data_api: FakeAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert pm("validate", "AAPL", "--side", "buy", "--qty", "20").code == 1
    monkeypatch.setenv("PM_MAX_POSITION_PCT", "6")
    assert pm("validate", "AAPL", "--side", "buy", "--qty", "20").code == 0


def test_sector_limit_and_the_setting(
    pm: PmRunner, data_api: FakeAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_MAX_POSITION_PCT", "50")
    monkeypatch.setenv("PM_MAX_SECTOR_PCT", "3")
    data = pm("validate", "MSFT", "--side", "buy", "--qty", "3", "--json").json()
    # MSFT 3 x 420 (market price) = 1,260 plus AAPL's 1,905 in the same sector: 3.165 %
    assert data["price_source"] == "market"
    assert data["sector"] == "Information Technology"
    assert data["sector_pct"] == Decimal("3.1650")
    assert data["sector_limit_ok"] is False
    assert data["position_limit_ok"] is True
    assert data["reasons"] == [
        "sector limit: Information Technology would be 3.165 % of equity (limit 3 %)"
    ]


def test_buying_power(pm: PmRunner, data_api: FakeAlpaca) -> None:
    data_api.account = {**data_api.account, "buying_power": "100"}
    data = pm("validate", "AAPL", "--side", "buy", "--qty", "1", "--json").json()
    assert data["buying_power_ok"] is False
    assert data["reasons"] == ["buying power: the order needs 190.5 but only 100 is available"]


def test_notional_and_explicit_price(pm: PmRunner, data_api: FakeAlpaca) -> None:
    data = pm(
        "validate", "NVDA", "--side", "buy", "--notional", "1000", "--price", "125", "--json"
    ).json()
    assert data["qty"] == Decimal(8)
    assert data["price_source"] == "option"
    assert data["estimated_position_value"] == Decimal("1000.00")


def test_no_price_anywhere_asks_for_price(pm: PmRunner, data_api: FakeAlpaca) -> None:
    result = pm("validate", "ZZZZ", "--side", "buy", "--qty", "1", "--json")
    assert result.code == 2
    assert "give a --price" in result.error()["message"]
    assert pm("validate", "ZZZZ", "--side", "buy", "--qty", "1", "--price", "10").code == 0


@pytest.mark.parametrize(
    "args",
    [
        ("--side", "buy"),
        ("--side", "buy", "--qty", "1", "--notional", "5"),
        ("--side", "buy", "--qty", "-1"),
        ("--side", "buy", "--qty", "abc"),
        ("--side", "hold", "--qty", "1"),
        ("--side", "buy", "--qty", "1", "--price", "0"),
    ],
)
def test_bad_input_exits_2(pm: PmRunner, args: tuple[str, ...]) -> None:
    assert pm("--demo", "validate", "AAPL", *args).code == 2


@pytest.mark.parametrize("symbol", ["", " ", "AA PL"])
def test_no_symbol_or_a_spaced_one_is_bad_input_not_approved(pm: PmRunner, symbol: str) -> None:
    # `pm validate "$SYM" ...` with SYM unset must not approve an order for no symbol
    result = pm("--demo", "validate", symbol, "--side", "buy", "--qty", "1", "--price", "10")
    assert result.code == 2, result.stdout
    assert result.stdout == ""
    assert "is not a symbol" in result.stderr


def test_reducing_orders_pass_while_halted_and_over_limits(pm: PmRunner) -> None:
    # the demo account holds 27 AAPL, above the 5 % position limit on purpose
    assert pm("--demo", "breaker", "trip", "--reason", "stop").code == 0
    sell = pm("--demo", "validate", "AAPL", "--side", "sell", "--qty", "1", "--json")
    assert sell.code == 0, sell.stderr
    data = sell.json()
    assert data["approved"] is True
    assert data["reducing"] is True
    assert data["circuit_breaker"] == "HALTED"
    assert data["position_pct"] > 5  # still over the limit, and still allowed to shrink

    cover = pm("--demo", "validate", "TSLA", "--side", "buy", "--qty", "12", "--json")
    assert cover.code == 0, cover.stderr  # buying back the whole short

    buy = pm("--demo", "validate", "KO", "--side", "buy", "--qty", "1", "--json")
    assert buy.code == 1
    assert buy.json()["circuit_breaker_ok"] is False
    assert buy.json()["price_source"] == "market"  # the demo's price for a symbol not held


def test_a_terminal_table(pm: PmRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    # the demo book's prices move with the date: loose limits keep its level below CRITICAL
    monkeypatch.setenv("PM_MAX_POSITION_PCT", "50")
    monkeypatch.setenv("PM_MAX_SECTOR_PCT", "80")
    result = pm("--demo", "validate", "KO", "--side", "buy", "--qty", "1")
    assert result.code == 0, result.stderr
    assert "APPROVED" in result.stdout
    assert "Consumer Staples" in result.stdout


@pytest.mark.parametrize("command", ["validate", "size"])
def test_the_demo_gate_sees_its_wash_sales_before_any_other_command_synced(
    pm: PmRunner, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """The demo's simulated past sold KO at a loss on 2026-11-18: on 2026-11-29 a buy of KO
    is a wash sale whether or not an earlier command brought the demo's ledger up to date."""
    from datetime import UTC, datetime

    now = datetime(2026, 11, 29, 15, tzinfo=UTC)
    monkeypatch.setattr("pm.cli.context.SystemClock.now", lambda self: now)
    monkeypatch.setenv("PM_WASH_SALE", "block")
    args = {
        "validate": ("validate", "KO", "--side", "buy", "--qty", "1"),
        "size": ("size", "KO", "--win-rate", "0.55", "--avg-win", "300", "--avg-loss", "200"),
    }[command]
    first = pm("--demo", *args, "--json").json()
    assert pm("--demo", "trades", "sync").code == 0
    second = pm("--demo", *args, "--json").json()
    gate = (lambda d: d["reason_codes"]) if command == "validate" else (lambda d: d["gate"])
    assert gate(first) == gate(second)
    assert "wash" in str(gate(second))  # the code (validate), the reason (size)

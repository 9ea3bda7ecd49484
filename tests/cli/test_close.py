"""`pm close` and `pm close-all`: confirmation, --live, validation, the audit log, 207s."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pm.broker.demo.seed import DEMO_ACCOUNT_ID
from pm.cli.confirm import NotConfirmed, require_live_allowed
from pm.config import Settings
from tests.cli.conftest import PmRunner
from tests.cli.safety import audit_rows, breaker_row, calm
from tests.support.fake_alpaca import FakeAlpaca, Reply, payload

ALPACA_ACCOUNT = "2f6e8a41-7c3b-4c0e-9a57-3f1d2b7e9c10"


def demo_qty(pm: PmRunner, symbol: str) -> Decimal | None:
    shown = pm("--demo", "positions", "show", symbol, "--json")
    if shown.code == 4:
        return None
    assert shown.code == 0, shown.stderr
    data = shown.json()
    row = data[0] if isinstance(data, list) else data
    return Decimal(row["qty"])


# -- the demo account ---------------------------------------------------------------------


def test_demo_close_really_reduces_the_holding(pm: PmRunner, pm_home: Path) -> None:
    assert demo_qty(pm, "AAPL") == 27
    part = pm("--demo", "close", "AAPL", "--qty", "5", "--yes", "--json")
    assert part.code == 0, part.stderr
    data = part.json()
    assert (data["symbol"], data["side"], data["qty"], data["held_qty"]) == ("AAPL", "sell", 5, 27)
    assert data["order"]["status"] == "filled"
    assert demo_qty(pm, "AAPL") == 22

    half = pm("--demo", "close", "AAPL", "--percentage", "50", "--yes", "--json")
    assert half.code == 0, half.stderr
    assert half.json()["qty"] == 11
    assert demo_qty(pm, "AAPL") == 11

    everything = pm("--demo", "close", "AAPL", "--yes")
    assert everything.code == 0, everything.stderr
    assert demo_qty(pm, "AAPL") is None

    rows = audit_rows(pm_home)
    assert [(r["action"], r["outcome"]) for r in rows] == [("close", "succeeded")] * 3
    assert rows[0]["account_id"] == DEMO_ACCOUNT_ID
    assert rows[0]["arguments"]["qty"] == "5"
    assert rows[0]["arguments"]["close_qty"] == "5"
    assert rows[1]["arguments"]["percentage"] == "50"
    assert rows[0]["os_user"]
    assert rows[0]["host"]
    assert rows[0]["finished_at"] is not None


def test_demo_close_a_short_buys_it_back(pm: PmRunner) -> None:
    result = pm("--demo", "close", "TSLA", "--yes", "--json")
    assert result.code == 0, result.stderr
    assert (result.json()["side"], result.json()["qty"]) == ("buy", 12)
    assert demo_qty(pm, "TSLA") is None


def test_demo_close_works_while_halted(pm: PmRunner) -> None:
    assert pm("--demo", "breaker", "trip", "--reason", "stop").code == 0
    assert pm("--demo", "close", "MSFT", "--qty", "1", "--yes").code == 0
    assert demo_qty(pm, "MSFT") == 7


def test_demo_close_all_closes_everything_and_trips_the_breaker(
    pm: PmRunner, pm_home: Path
) -> None:
    result = pm("--demo", "close-all", "--emergency", "--yes", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["outcome"] == "succeeded"
    assert data["failed"] == 0
    assert {r["symbol"] for r in data["results"]} >= {"AAPL", "TSLA", "BTCUSD"}
    assert all(r["ok"] and r["status_code"] == 200 for r in data["results"])
    assert data["circuit_breaker"] == "HALTED"
    assert data["circuit_breaker_reason"] == "emergency close-all"
    positions = pm("--demo", "positions", "--json")
    assert positions.json() == []
    assert breaker_row(pm_home, DEMO_ACCOUNT_ID)["reason"] == "emergency close-all"  # type: ignore[index]
    (row,) = audit_rows(pm_home)
    assert (row["action"], row["outcome"]) == ("close-all", "succeeded")
    assert row["arguments"]["cancel_orders"] is True


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("close", "ZZZ", "--yes"), 4, "no open position in ZZZ"),
        (("close", "", "--yes"), 2, "give the symbol"),  # `pm close "$SYM"`, SYM unset
        (("close", " ", "--yes"), 2, "give the symbol"),
        (("close", "AAPL", "--qty", "28", "--yes"), 2, "more than the 27"),
        (("close", "AAPL", "--qty", "1", "--percentage", "5", "--yes"), 2, "not both"),
        (("close", "AAPL", "--percentage", "101", "--yes"), 2, "(0, 100]"),
        (("close", "AAPL", "--qty", "0", "--yes"), 2, "must be > 0"),
        (("close-all", "--yes"), 2, "--emergency"),
    ],
)
def test_bad_requests_send_and_write_nothing(
    pm: PmRunner, pm_home: Path, args: tuple[str, ...], code: int, text: str
) -> None:
    result = pm("--demo", *args)
    assert result.code == code
    assert text in result.stderr
    assert audit_rows(pm_home) == []
    assert demo_qty(pm, "AAPL") == 27


# -- confirmation and live money ------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [("close", "AAPL"), ("close", "AAPL", "--qty", "1"), ("close-all", "--emergency")]
)
def test_refuses_without_yes_off_a_terminal(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path, args: tuple[str, ...]
) -> None:
    result = pm(*args, "--json")
    assert result.code == 2
    error = result.error()
    assert (error["error"], error["reason"]) == ("BadInput", "NotConfirmed")
    assert "stdin is not a terminal" in error["message"]
    assert "Will " in result.stderr  # it showed what it would have done
    assert alpaca.count("POST") == alpaca.count("DELETE") == 0
    assert audit_rows(pm_home) == []  # refusals are not audited: nothing was authorised


def test_at_a_terminal_it_asks(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pm.cli.confirm.stdin_is_terminal", lambda: True)
    declined = pm("close", "AAPL", input="n\n")
    assert declined.code == 2
    assert "not confirmed" in declined.stderr
    assert alpaca.count("POST") == 0
    accepted = pm("close", "AAPL", input="y\n")
    assert accepted.code == 0, accepted.stderr
    assert alpaca.count("POST", "/v2/orders") == 1
    assert [r["outcome"] for r in audit_rows(pm_home)] == ["succeeded"]


@pytest.mark.parametrize("args", [("close", "AAPL"), ("close-all", "--emergency")])
def test_the_live_endpoint_needs_live(
    pm: PmRunner, pm_home: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.setenv("ALPACA_API_KEY", "PKLIVEKEY0000000000001")
    monkeypatch.setenv("ALPACA_SECRET_KEY", "live-secret-0123456789abcdef")
    monkeypatch.setenv("ALPACA_BASE_URL", "https://api.alpaca.markets")
    monkeypatch.setenv("PM_TIMEOUT", "0.5")
    result = pm(*args, "--yes")
    assert result.code == 2
    assert "live endpoint" in result.stderr
    assert "--live" in result.stderr
    assert audit_rows(pm_home) == []


def test_live_is_allowed_by_the_flag_or_the_setting() -> None:
    live = Settings(alpaca_base_url="https://api.alpaca.markets")
    with pytest.raises(NotConfirmed):
        require_live_allowed(live, False, "close")
    require_live_allowed(live, True, "close")
    require_live_allowed(
        Settings(alpaca_base_url="https://api.alpaca.markets", pm_allow_live=True), False, "x"
    )
    require_live_allowed(Settings(), False, "close")  # paper needs nothing


# -- against the Alpaca stand-in -------------------------------------------------------------


def test_close_against_alpaca(pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path) -> None:
    result = pm("close", "AAPL", "--qty", "4", "--yes", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["order"]["qty"] == 4
    assert result.json()["order"]["status"] == "filled"
    (request,) = [r for r in alpaca.requests if r.method == "POST"]
    body = json.loads(request.body)
    assert request.path == "/v2/orders"
    assert (body["symbol"], body["side"], body["qty"], body["type"]) == (
        "AAPL",
        "sell",
        "4",
        "market",
    )
    assert body["client_order_id"].startswith("pm-close-1-0-")
    assert alpaca.count("DELETE") == 0  # DELETE /v2/positions takes no client_order_id
    (row,) = audit_rows(pm_home)
    assert row["account_id"] == ALPACA_ACCOUNT
    assert row["outcome"] == "succeeded"
    assert row["outcome_details"]["order"]["symbol"] == "AAPL"


def test_unknown_symbol_exits_4_and_sends_nothing(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path
) -> None:
    result = pm("close", "NOPE", "--yes", "--json")
    assert result.code == 4
    assert result.error()["error"] == "NotFound"
    assert alpaca.count("POST") == 0
    assert audit_rows(pm_home) == []


def test_the_audit_row_exists_before_the_broker_hears_of_it(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path
) -> None:
    seen: list[list[dict[str, Any]]] = []
    route = alpaca._route

    def spy(method: str, path: str, query: dict[str, list[str]], body: bytes) -> Reply:
        if method == "POST":
            seen.append(audit_rows(pm_home))  # what the database holds as the request arrives
        return route(method, path, query, body)

    alpaca._route = spy  # type: ignore[method-assign]
    assert pm("close", "AAPL", "--yes").code == 0
    ((row,),) = seen
    assert (row["action"], row["outcome"], row["finished_at"]) == ("close", "pending", None)
    assert row["arguments"]["symbol"] == "AAPL"
    assert audit_rows(pm_home)[0]["outcome"] == "succeeded"


def test_a_broker_refusal_is_audited_as_failed(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path
) -> None:
    alpaca.script(Reply(403, payload("errors/insufficient_qty_403")), path="/v2/orders")
    result = pm("close", "AAPL", "--yes", "--json")
    assert result.code == 1
    assert result.error()["error"] == "BrokerRejected"
    assert alpaca.count("POST", "/v2/orders") == 1
    (row,) = audit_rows(pm_home)
    assert row["outcome"] == "failed"
    assert row["outcome_details"]["error"] == "BrokerRejected"
    assert "insufficient qty" in row["outcome_details"]["message"]
    assert row["finished_at"] is not None


def test_an_unreachable_broker_mid_close_is_audited_as_unknown(
    pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path
) -> None:
    alpaca.script(503, path="/v2/orders")  # the POST: did it go through? and the lookup:
    alpaca.script(503, 503, 503, 503, path="/v2/orders:by_client_order_id")
    result = pm("close", "AAPL", "--yes")
    assert result.code == 3
    assert "outcome unknown" in result.stderr
    assert "settles it" in result.stderr
    (row,) = audit_rows(pm_home)
    assert (row["outcome"], row["outcome_details"]["error"]) == ("unknown", "BrokerUnavailable")


def test_close_all_207_partial_failure(pm: PmRunner, alpaca: FakeAlpaca, pm_home: Path) -> None:
    calm(alpaca)  # so the breaker is ACTIVE until close-all trips it
    alpaca.order_replies["AAPL"] = Reply(403, payload("errors/insufficient_qty_403"))
    result = pm("close-all", "--emergency", "--yes", "--json")
    assert result.code == 1
    data = result.json()
    assert (data["outcome"], data["closed"], data["failed"]) == ("partial", 1, 1)
    by_symbol = {r["symbol"]: r for r in data["results"]}
    assert by_symbol["AAPL"]["ok"] is False
    assert by_symbol["AAPL"]["status_code"] == 403
    assert "insufficient qty" in by_symbol["AAPL"]["error"]
    assert by_symbol["TSLA"]["ok"] is True
    assert by_symbol["TSLA"]["order"]["side"] == "buy"
    assert by_symbol["TSLA"]["order"]["status"] == "filled"
    assert data["circuit_breaker"] == "HALTED"
    error = result.error()
    assert error["error"] == "CheckFailed"
    assert "1 of 2 failed (AAPL)" in error["message"]

    (cancel,) = [r for r in alpaca.requests if r.method == "DELETE"]
    assert cancel.path == "/v2/orders"  # open orders cancelled first
    sent = sorted(json.loads(r.body)["symbol"] for r in alpaca.requests if r.method == "POST")
    assert sent == ["AAPL", "TSLA"]  # one order per position
    (row,) = audit_rows(pm_home)
    assert (row["action"], row["outcome"]) == ("close-all", "partial")
    statuses = {r["symbol"]: r["status"] for r in row["outcome_details"]["results"]}
    assert statuses == {"AAPL": 403, "TSLA": 200}
    assert breaker_row(pm_home, ALPACA_ACCOUNT)["reason"] == "emergency close-all"  # type: ignore[index]


def test_close_all_human_output_lists_each_symbol(pm: PmRunner, alpaca: FakeAlpaca) -> None:
    alpaca.order_replies["AAPL"] = Reply(403, payload("errors/insufficient_qty_403"))
    result = pm("close-all", "--emergency", "--yes")
    assert result.code == 1
    for symbol in ("AAPL", "TSLA", "BTCUSD"):
        assert symbol in result.stdout
    assert "partial: 2 closed, 1 failed" in result.stdout
    sent = sorted(json.loads(r.body)["symbol"] for r in alpaca.requests if r.method == "POST")
    assert sent == ["AAPL", "BTC/USD", "TSLA"]  # crypto orders name the slash form
    crypto = next(json.loads(r.body) for r in alpaca.requests if b"BTC/USD" in r.body)
    assert crypto["time_in_force"] == "gtc"


# -- replayed cassettes (real-shaped Alpaca exchanges; see cassettes/README.md) -------------

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"


@pytest.fixture
def paper(pm_home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """pm pointed at Alpaca's paper host, with vcrpy replaying (no network: unknown requests
    fail the test)."""
    import vcr

    monkeypatch.setenv("ALPACA_API_KEY", "PKTESTKEYID0000000001")
    monkeypatch.setenv("ALPACA_SECRET_KEY", "sEcReT-do-not-print-0123456789abcdef")
    monkeypatch.setenv("ALPACA_BASE_URL", "https://paper-api.alpaca.markets")
    replay = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        match_on=["method", "scheme", "host", "port", "path", "query_but_client_order_id"],
    )
    replay.register_matcher("query_but_client_order_id", _query_but_client_order_id)
    return replay


def _query_but_client_order_id(r1: Any, r2: Any) -> None:
    """The query matches except the client_order_id (pm makes a new one each run)."""
    a = [(k, v) for k, v in r1.query if k != "client_order_id"]
    b = [(k, v) for k, v in r2.query if k != "client_order_id"]
    assert a == b


def test_close_replayed_from_a_cassette(pm: PmRunner, paper: Any, pm_home: Path) -> None:
    with paper.use_cassette("cli_close_position.yaml") as cassette:
        result = pm("close", "AAPL", "--qty", "4", "--yes", "--json")
        assert cassette.all_played
    assert result.code == 0, result.stderr
    assert result.json()["order"]["symbol"] == "AAPL"
    assert [r["outcome"] for r in audit_rows(pm_home)] == ["succeeded"]


def test_refusal_replays_nothing(pm: PmRunner, paper: Any, pm_home: Path) -> None:
    with paper.use_cassette("cli_close_position.yaml") as cassette:
        result = pm("close", "AAPL", "--qty", "4")
        played = cassette.play_count
    assert result.code == 2
    assert played == 2  # account and positions for the plan; no order was sent
    assert audit_rows(pm_home) == []


def test_a_small_percentage_is_said_in_plain_digits(pm: PmRunner, pm_home: Path) -> None:
    tiny = pm("--demo", "close", "AAPL", "--percentage", "0.0000001", "--yes")
    assert tiny.code == 0, tiny.stderr
    assert "to close 0.0000001 % of the position" in tiny.stderr
    nothing = pm("--demo", "close", "AAPL", "--percentage", "0.000000001", "--yes")
    assert nothing.code == 2
    assert "0.000000001 % of" in nothing.stderr

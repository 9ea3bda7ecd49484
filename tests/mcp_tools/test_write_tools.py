"""The write tools' two steps: a preview and a token, then the same service, gate and audit log
as the command line; the token refused when reused, expired, for other arguments, or after the
account changed; and live writes refused without every permission."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pm import logging as pm_logging
from pm.mcp.tools import TOOLS
from tests.cli.conftest import PmRunner
from tests.mcp_tools.conftest import MakeTools, Tools
from tests.support.clocks import FakeClock
from tests.support.fake_alpaca import FakeAlpaca
from tests.support.pm_cli import Outcome


def audit(pm: PmRunner, *prefix: str) -> list[dict[str, Any]]:
    done = pm(*prefix, "audit", "--json")
    pm_logging.configure("critical", "json")
    assert done.code == 0, done.stderr
    return done.json()  # type: ignore[no-any-return]


def command(pm: PmRunner, *args: str) -> Outcome:
    done = pm(*args)
    pm_logging.configure("critical", "json")  # off the command's closed stderr
    return done


def breaker(tools: Tools) -> str:
    return tools.data("check_circuit_breaker")["state"]  # type: ignore[no-any-return]


def aapl_qty(tools: Tools) -> Any:
    positions = tools.data("get_live_positions")["positions"]
    return next(p["qty"] for p in positions if p["symbol"] == "AAPL")


def test_trip_previews_then_trips_once_with_its_token(make_tools: MakeTools, pm: PmRunner) -> None:
    tools = make_tools(allow_writes=True)
    preview = tools.data("trip_circuit_breaker", reason="assistant saw a runaway loss")
    assert preview["executed"] is False
    assert preview["would"] == "HALT"
    assert preview["now"]["state"] == "ACTIVE"
    assert preview["expires_in_seconds"] == 60
    assert breaker(tools) == "ACTIVE"  # a preview changes nothing
    token = preview["confirmation_token"]

    done = tools.data(
        "trip_circuit_breaker", reason="assistant saw a runaway loss", confirmation_token=token
    )
    assert done["executed"] is True
    assert done["result"]["state"] == "HALTED"
    assert done["result"]["changed"] is True
    assert breaker(tools) == "HALTED"
    trips = [e for e in audit(pm, "--demo") if e["action"] == "breaker-trip"]
    assert len(trips) == 1
    assert trips[0]["arguments"]["origin"] == "mcp"
    assert trips[0]["outcome"] == "succeeded"

    again = tools.error(
        "trip_circuit_breaker", reason="assistant saw a runaway loss", confirmation_token=token
    )
    assert again["error"] == "BadInput"
    assert again["reason"] == "ConfirmationRefused"
    assert "already used" in again["message"]
    assert again["status_code"] == 400


def test_close_previews_the_gate_then_closes_through_the_audit_log(
    make_tools: MakeTools, pm: PmRunner
) -> None:
    tools = make_tools(allow_writes=True)
    held = aapl_qty(tools)
    preview = tools.data("close_position", symbol="AAPL", qty=2)
    assert preview["executed"] is False
    assert preview["would"]["side"] == "sell"
    assert preview["would"]["qty"] == 2
    assert preview["validation"]["approved"] is True
    assert aapl_qty(tools) == held  # nothing sent

    done = tools.data(
        "close_position", symbol="AAPL", qty=2, confirmation_token=preview["confirmation_token"]
    )
    assert done["executed"] is True
    assert done["result"]["outcome"] == "succeeded"
    assert done["result"]["order"]["side"] == "sell"
    assert aapl_qty(tools) == held - 2
    closes = [e for e in audit(pm, "--demo") if e["action"] == "close"]
    assert len(closes) == 1
    assert closes[0]["arguments"]["origin"] == "mcp"
    assert closes[0]["arguments"]["symbol"] == "AAPL"
    assert closes[0]["id"] == done["result"]["audit_id"]


def test_an_expired_token_is_refused(make_tools: MakeTools) -> None:
    clock = FakeClock(datetime.now(UTC))
    tools = make_tools(allow_writes=True, token_clock=clock)
    preview = tools.data("close_position", symbol="AAPL", qty=1)
    held = aapl_qty(tools)
    clock.advance(timedelta(seconds=61))
    refused = tools.error(
        "close_position", symbol="AAPL", qty=1, confirmation_token=preview["confirmation_token"]
    )
    assert refused["reason"] == "ConfirmationRefused"
    assert "expired" in refused["message"]
    assert aapl_qty(tools) == held


def test_a_token_is_refused_after_the_position_changed(make_tools: MakeTools, pm: PmRunner) -> None:
    tools = make_tools(allow_writes=True)
    preview = tools.data("close_position", symbol="AAPL", qty=1)
    closed = command(pm, "--demo", "close", "AAPL", "--qty", "1", "--yes")  # at a terminal
    assert closed.code == 0, closed.stderr
    held = aapl_qty(tools)
    refused = tools.error(
        "close_position", symbol="AAPL", qty=1, confirmation_token=preview["confirmation_token"]
    )
    assert refused["reason"] == "ConfirmationRefused"
    assert "account changed" in refused["message"]
    assert aapl_qty(tools) == held  # nothing more was sold


def test_a_token_is_refused_after_the_breaker_changed(make_tools: MakeTools, pm: PmRunner) -> None:
    tools = make_tools(allow_writes=True)
    preview = tools.data("trip_circuit_breaker", reason="why")
    tripped = command(pm, "--demo", "breaker", "trip", "--reason", "a person did it")
    assert tripped.code == 0, tripped.stderr
    refused = tools.error(
        "trip_circuit_breaker", reason="why", confirmation_token=preview["confirmation_token"]
    )
    assert "account changed" in refused["message"]
    assert tools.data("check_circuit_breaker")["reason"] == "a person did it"


def test_a_token_is_bound_to_its_arguments(make_tools: MakeTools) -> None:
    tools = make_tools(allow_writes=True)
    held = aapl_qty(tools)
    preview = tools.data("close_position", symbol="AAPL", qty=1)
    refused = tools.error(
        "close_position", symbol="AAPL", qty=3, confirmation_token=preview["confirmation_token"]
    )
    assert "different action or arguments" in refused["message"]
    other = tools.data("trip_circuit_breaker", reason="x")
    refused = tools.error(
        "close_position", symbol="AAPL", qty=1, confirmation_token=other["confirmation_token"]
    )
    assert "different action or arguments" in refused["message"]
    assert aapl_qty(tools) == held


def test_a_token_is_bound_to_the_numbers_not_how_they_are_written(make_tools: MakeTools) -> None:
    tools = make_tools(allow_writes=True)
    held = aapl_qty(tools)
    preview = tools.data("close_position", symbol="AAPL", qty="2.0")
    done = tools.data(
        "close_position", symbol="AAPL", qty=2, confirmation_token=preview["confirmation_token"]
    )
    assert done["executed"] is True
    assert aapl_qty(tools) == held - 2


def test_a_made_up_token_is_refused(make_tools: MakeTools) -> None:
    tools = make_tools(allow_writes=True)
    refused = tools.error("trip_circuit_breaker", reason="x", confirmation_token="guess")
    assert "unknown or already used" in refused["message"]
    assert breaker(tools) == "ACTIVE"


def test_the_gate_refuses_what_the_cli_refuses(make_tools: MakeTools, pm: PmRunner) -> None:
    tools = make_tools(allow_writes=True)
    missing = tools.error("close_position", symbol="ZZZZ")
    cli = command(pm, "--demo", "close", "ZZZZ", "--yes", "--json")
    assert cli.code == 4
    assert missing == cli.error()  # the same error object: NotFound, 404
    assert missing["status_code"] == 404


@pytest.fixture
def live(alpaca: FakeAlpaca, monkeypatch: pytest.MonkeyPatch) -> FakeAlpaca:
    """The fake server taken for Alpaca's live (real-money) host."""
    monkeypatch.setattr("pm.config.LIVE_HOST", "127.0.0.1")
    return alpaca


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "PM_ALLOW_LIVE, PM_MCP_ALLOW_LIVE"),
        ({"PM_ALLOW_LIVE": "true"}, "missing: PM_MCP_ALLOW_LIVE"),
        ({"PM_MCP_ALLOW_LIVE": "true"}, "missing: PM_ALLOW_LIVE"),
        ({"PM_ALLOW_LIVE": "true", "PM_MCP_ALLOW_LIVE": "true"}, "PM_MCP_ACCOUNTS"),
        (
            {"PM_ALLOW_LIVE": "true", "PM_MCP_ALLOW_LIVE": "true", "PM_MCP_ACCOUNTS": "other"},
            "not in PM_MCP_ACCOUNTS",
        ),
    ],
    ids=["no-flag", "pm-only", "mcp-only", "no-accounts", "other-account"],
)
def test_live_writes_need_both_flags_and_a_listed_account(
    make_tools: MakeTools,
    live: FakeAlpaca,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    missing: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    tools = make_tools(demo=False, allow_writes=True)
    for name, arguments in (
        ("close_position", {"symbol": "AAPL"}),
        ("trip_circuit_breaker", {"reason": "x"}),
        ("execute_rebalance", {"queue": True}),
    ):
        refused = tools.error(name, **arguments)
        assert refused["reason"] == "LiveRefused"
        assert missing in refused["message"]
    assert live.count("POST") == 0
    assert live.count(path="/v2/positions") == 0  # refused before reading the account


def test_live_writes_with_both_flags_and_the_account_listed_preview(
    make_tools: MakeTools, live: FakeAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = make_tools(demo=False)
    account_id = tools.data("get_portfolio_snapshot")["account_id"]
    assert live.count("GET", "/v2/positions") == 1  # the path the refusals above never read
    monkeypatch.setenv("PM_ALLOW_LIVE", "true")
    monkeypatch.setenv("PM_MCP_ALLOW_LIVE", "true")
    monkeypatch.setenv("PM_MCP_ACCOUNTS", f"someone-else, {account_id}")
    tools = make_tools(demo=False, allow_writes=True)
    preview = tools.data("trip_circuit_breaker", reason="x")
    assert preview["executed"] is False
    assert preview["confirmation_token"]


def test_allow_writes_help_names_every_write_tool(pm: PmRunner) -> None:
    done = command(pm, "mcp", "--help")
    assert done.code == 0
    said = " ".join(done.stdout.split())
    for spec in TOOLS:
        assert (spec.name in said) is spec.write, spec.name


def test_writes_over_http_off_loopback_are_refused_in_the_terminals_words(pm: PmRunner) -> None:
    http = ["--transport", "http", "--host", "0.0.0.0"]
    done = command(pm, "--demo", "mcp", *http, "--allow-writes")
    assert done.code == 2
    assert "--allow-writes over http only on a loopback host" in done.stderr
    assert "`allow_writes`" not in done.stderr

"""Errors are tool errors carrying the CLI's JSON error object; no secret reaches a client or
a log line."""

from __future__ import annotations

import logging

import pytest

from pm import logging as pm_logging
from tests.cli.conftest import API_KEY, SECRET_KEY, PmRunner
from tests.mcp_tools.conftest import MakeTools, text
from tests.support.fake_alpaca import FakeAlpaca


def test_rejected_credentials_are_the_clis_error_object(
    make_tools: MakeTools, alpaca: FakeAlpaca, pm: PmRunner
) -> None:
    alpaca.fail_with(401)
    tools = make_tools(demo=False)
    error = tools.error("get_live_positions")
    cli = pm("positions", "--json")
    pm_logging.configure("critical", "json")
    assert cli.code == 5
    assert error == cli.error()
    assert (error["error"], error["status_code"]) == ("CredentialsError", 401)


def test_an_unreachable_broker_carries_the_source(
    make_tools: MakeTools, alpaca: FakeAlpaca
) -> None:
    alpaca.fail_with(503)
    error = make_tools(demo=False).error("get_portfolio_snapshot")
    assert error["error"] == "BrokerUnavailable"
    assert error["status_code"] == 503
    assert error["source"]["type"] == "unavailable"


def test_secrets_never_reach_the_client_or_the_log(
    make_tools: MakeTools, alpaca: FakeAlpaca, caplog: pytest.LogCaptureFixture
) -> None:
    tools = make_tools(demo=False, allow_writes=True)
    caplog.set_level(logging.INFO, logger="pm.mcp")
    results = [
        tools.call("close_position", symbol=API_KEY),  # a secret as an argument
        tools.call("validate_order", symbol=API_KEY, side="buy", qty=1),
    ]
    for result in results:
        assert result.is_error
        assert SECRET_KEY not in text(result)
        assert API_KEY not in text(result)
        assert "***" in text(result)
    assert caplog.records  # the failures were logged (to stderr), scrubbed too
    assert SECRET_KEY not in caplog.text
    assert API_KEY not in caplog.text


def test_errors_name_the_tools_arguments_not_the_commands_flags(
    make_tools: MakeTools, pm: PmRunner
) -> None:
    tools = make_tools()
    error = tools.error("get_performance", since="2026-01-02", until="2026-01-01")
    cli = pm("--demo", "performance", "--since", "2026-01-02", "--until", "2026-01-01", "--json")
    pm_logging.configure("critical", "json")
    assert (error["error"], error["status_code"]) == ("BadInput", 400)
    assert "`since`" in error["message"]
    assert "--since" not in error["message"]
    assert cli.code == 2
    assert cli.error()["message"] == error["message"].replace("`since`", "--since").replace(
        "`until`", "--until"
    )
    missing = tools.error("rebalance_plan", policy="nope")
    assert (missing["error"], missing["status_code"]) == ("NotFound", 404)

"""The read tools, through the SDK's client: listed with their annotations, answered on the demo
and on the fake Alpaca server, and equal to the matching command's --json."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from freezegun import freeze_time

from pm import logging as pm_logging
from pm.mcp.tools import TOOLS
from tests.cli.conftest import PmRunner
from tests.mcp_tools.conftest import MakeTools, exact, text
from tests.support.clocks import T0, FakeClock
from tests.support.fake_alpaca import FakeAlpaca
from tests.support.pm_cli import Outcome

READ_TOOLS = {
    "get_portfolio_snapshot",
    "get_live_positions",
    "check_portfolio_risk",
    "validate_order",
    "check_circuit_breaker",
    "get_reconcile_status",
}
WRITE_TOOLS = {"trip_circuit_breaker", "close_position"}
CALLS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("get_portfolio_snapshot", {}, ["snapshot"]),
    ("get_live_positions", {}, ["positions"]),
    ("check_portfolio_risk", {}, ["risk"]),
    (
        "validate_order",
        {"symbol": "AAPL", "side": "buy", "qty": 1},
        ["validate", "AAPL", "--side", "buy", "--qty", "1"],
    ),
    ("check_circuit_breaker", {}, ["breaker", "status"]),
    ("get_reconcile_status", {}, ["reconcile", "status"]),
]


def test_read_only_server_lists_the_read_tools_with_their_annotations(
    make_tools: MakeTools,
) -> None:
    listed = make_tools().list()
    assert set(listed) == READ_TOOLS  # no write tool without --allow-writes
    for spec in TOOLS:
        if spec.write:
            continue
        hints = listed[spec.name].annotations
        assert hints is not None
        assert hints.read_only_hint is True
        assert hints.destructive_hint is False
        assert hints.open_world_hint is (spec.name != "get_reconcile_status")
        assert listed[spec.name].description


def test_write_tools_are_listed_only_with_allow_writes_and_are_destructive(
    make_tools: MakeTools,
) -> None:
    listed = make_tools(allow_writes=True).list()
    assert set(listed) == READ_TOOLS | WRITE_TOOLS
    for name in WRITE_TOOLS:
        hints = listed[name].annotations
        assert hints is not None
        assert (hints.read_only_hint, hints.destructive_hint) == (False, True)
        assert "confirmation_token" in listed[name].input_schema["properties"]
    assert listed["trip_circuit_breaker"].annotations.idempotent_hint is True  # type: ignore[union-attr]
    assert listed["close_position"].annotations.idempotent_hint is False  # type: ignore[union-attr]
    assert "reset" not in " ".join(listed)  # resetting the breaker and close-all: never
    assert "close_all" not in listed


def test_a_write_tool_is_unknown_without_allow_writes(make_tools: MakeTools) -> None:
    result = make_tools().call("trip_circuit_breaker", reason="x")
    assert result.is_error
    assert "trip_circuit_breaker" in text(result)


@pytest.mark.parametrize(("name", "arguments", "_args"), CALLS, ids=[c[0] for c in CALLS])
def test_every_read_tool_answers_on_the_demo(
    make_tools: MakeTools, name: str, arguments: dict[str, Any], _args: list[str]
) -> None:
    data = make_tools().data(name, **arguments)
    records = data["positions"] if name == "get_live_positions" else [data]
    assert records
    assert all(r["account_id"].startswith("demo-") for r in records)


def test_every_read_tool_answers_against_the_fake_broker(
    make_tools: MakeTools, alpaca: FakeAlpaca
) -> None:
    tools = make_tools(demo=False)
    account_ids = set()
    for name, arguments, _ in CALLS:  # the snapshot first: it registers the account
        data = tools.data(name, **arguments)
        records = data["positions"] if name == "get_live_positions" else [data]
        account_ids |= {r["account_id"] for r in records}
    assert len(account_ids) == 1
    assert not next(iter(account_ids)).startswith("demo-")
    assert alpaca.count("POST") == 0  # reading sends nothing


def test_snapshot_text_is_exact_decimal_json(make_tools: MakeTools) -> None:
    result = make_tools().call("get_portfolio_snapshot")
    data = exact(result)
    assert isinstance(data["equity"], Decimal)
    assert json.loads(text(result)) == result.structured_content
    assert data["source"]["type"] == "simulated"


@pytest.mark.parametrize("demo", [True, False], ids=["demo", "fake-alpaca"])
def test_every_read_tool_equals_the_commands_json(
    make_tools: MakeTools,
    pm: PmRunner,
    alpaca: FakeAlpaca,
    monkeypatch: pytest.MonkeyPatch,
    demo: bool,
) -> None:
    if demo:
        for name in ("ALPACA_API_KEY", "ALPACA_SECRET_KEY"):
            monkeypatch.delenv(name)
    tools = make_tools(demo=demo)
    tools.front.app.clock = FakeClock(T0)  # the same instant as the frozen command below
    prefix = ["--demo"] if demo else []

    def command(*args: str) -> Outcome:
        with freeze_time(T0):
            done = pm(*prefix, *args, "--json")
        pm_logging.configure("critical", "json")  # off the command's closed stderr
        return done

    for name, arguments, args in CALLS:  # each twice first: a risk check may store alerts
        for _ in range(2):
            tools.call(name, **arguments)
            command(*args)
        result = tools.call(name, **arguments)
        assert not result.is_error, text(result)
        done = command(*args)
        assert done.code in (0, 1), done.stderr  # 1: a breached limit or a rejected order
        expected = {"positions": done.json()} if name == "get_live_positions" else done.json()
        assert exact(result) == expected, name
        assert result.structured_content == json.loads(json.dumps(expected, default=float)), name

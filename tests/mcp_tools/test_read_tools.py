"""The read tools, through the SDK's client: listed with their annotations, answered on the demo
and on the fake Alpaca server, and equal to the matching command's --json."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from freezegun import freeze_time

from pm import logging as pm_logging
from pm.mcp.tools import TOOLS
from tests.cli.conftest import PmRunner
from tests.cli.test_regime_cli import fred  # noqa: F401 (fixture)
from tests.mcp_tools.conftest import MakeTools, exact, text
from tests.support.clocks import T0, FakeClock
from tests.support.fake_alpaca import FakeAlpaca
from tests.support.fake_fred import FakeFred
from tests.support.pm_cli import Outcome

READ_TOOLS = {
    "get_portfolio_snapshot",
    "get_live_positions",
    "check_portfolio_risk",
    "validate_order",
    "check_circuit_breaker",
    "get_reconcile_status",
    "market_status",
    "get_performance",
    "rebalance_plan",
    "get_regime",
    "get_trades",
    "get_lots",
}
LOCAL_TOOLS = {"get_reconcile_status", "get_trades", "get_lots"}  # no broker round trip
LIST_KEYS = {spec.name: spec.list_key for spec in TOOLS}
WRITE_TOOLS = {"trip_circuit_breaker", "close_position", "execute_rebalance"}
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
    ("market_status", {}, ["market"]),
    (
        "get_performance",
        {"since": "2024-11-01", "until": "2024-11-25", "benchmark": "spy"},
        ["performance", "--since", "2024-11-01", "--until", "2024-11-25", "--benchmark", "spy"],
    ),
    ("rebalance_plan", {}, ["rebalance", "plan"]),  # the active policy
    (
        "rebalance_plan",
        {"policy": "core", "trigger": "threshold"},
        ["rebalance", "plan", "--policy", "core", "--trigger", "threshold"],
    ),
    ("get_trades", {"since": "2024-11-06"}, ["trades", "--since", "2024-11-06"]),
    ("get_lots", {}, ["trades", "lots"]),
    (
        "get_lots",
        {"which": "open", "symbol": "aapl"},
        ["trades", "lots", "--open", "--symbol", "aapl"],
    ),
    ("get_regime", {}, ["regime"]),  # last: an emergency stop would halt validate_order
]
POLICY = [
    ["policy", "create", "core", "--target", "AAPL=5", "--target", "MSFT=8", "--cash-pct", "87"],
    ["policy", "activate", "core"],
]
SETUP = {  # what a tool needs done first, as a person would at the terminal
    "rebalance_plan": POLICY,  # an active policy to plan against
    "get_trades": [["trades", "sync"]],  # the broker's fills in the ledger
    "get_lots": [["trades", "sync"]],
}


def prepare(pm: PmRunner, names: set[str], *prefix: str) -> None:
    """Run the commands the named tools need first."""
    for args in dict.fromkeys(tuple(a) for name in sorted(names) for a in SETUP.get(name, [])):
        done = pm(*prefix, *args)
        assert done.code == 0, done.stderr
    pm_logging.configure("critical", "json")  # off the command's closed stderr


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
        # get_regime may trip the breaker (VIX above PM_EMERGENCY_VIX): a write, not destructive
        assert hints.read_only_hint is (spec.name != "get_regime")
        assert hints.destructive_hint is False
        assert hints.open_world_hint is (spec.name not in LOCAL_TOOLS)
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
    rebalance = listed["execute_rebalance"].annotations
    assert rebalance is not None
    assert (rebalance.idempotent_hint, rebalance.open_world_hint) == (False, True)
    assert "reset" not in " ".join(listed)  # resetting the breaker and close-all: never
    assert "close_all" not in listed


def test_a_write_tool_is_unknown_without_allow_writes(make_tools: MakeTools) -> None:
    result = make_tools().call("trip_circuit_breaker", reason="x")
    assert result.is_error
    assert "trip_circuit_breaker" in text(result)


def accounts(name: str, data: dict[str, Any]) -> set[str]:
    """The account ids an answer names (the market clock and the regime name none)."""
    key = LIST_KEYS[name]
    records = data[key] if key else [data]
    assert records
    return {r["account_id"] for r in records if "account_id" in r}


@pytest.mark.parametrize(("name", "arguments", "_args"), CALLS, ids=[c[0] for c in CALLS])
def test_every_read_tool_answers_on_the_demo(
    make_tools: MakeTools, pm: PmRunner, name: str, arguments: dict[str, Any], _args: list[str]
) -> None:
    prepare(pm, {name}, "--demo")
    data = make_tools().data(name, **arguments)
    assert all(a.startswith("demo-") for a in accounts(name, data))
    assert data.get("source") in (None, "demo") or data["source"]["type"] == "simulated"


def test_every_read_tool_answers_against_the_fake_broker(
    make_tools: MakeTools,
    pm: PmRunner,
    alpaca: FakeAlpaca,
    fred: FakeFred,  # noqa: F811 (fixture)
) -> None:
    prepare(pm, set(SETUP))
    tools = make_tools(demo=False)
    account_ids = set()
    answers = {}
    for name, arguments, _ in CALLS:
        answers[name] = data = tools.data(name, **arguments)
        account_ids |= accounts(name, data)
    assert len(account_ids) == 1
    assert not next(iter(account_ids)).startswith("demo-")
    assert answers["market_status"]["source"]["type"] == "live"
    assert answers["get_regime"]["source"] == "fred"
    assert fred.requests  # the regime asked FRED
    assert answers["rebalance_plan"]["trigger"] == "threshold"
    assert alpaca.count("POST") == 0  # reading sends nothing


def test_snapshot_text_is_exact_decimal_json(make_tools: MakeTools) -> None:
    result = make_tools().call("get_portfolio_snapshot")
    data = exact(result)
    assert isinstance(data["equity"], Decimal)
    assert json.loads(text(result)) == result.structured_content
    assert data["source"]["type"] == "simulated"


@pytest.mark.parametrize("demo", [True, False], ids=["demo", "fake-alpaca"])
@pytest.mark.parametrize(("name", "arguments", "args"), CALLS, ids=[c[0] for c in CALLS])
def test_every_read_tool_equals_the_commands_json(
    make_tools: MakeTools,
    pm: PmRunner,
    alpaca: FakeAlpaca,
    fred: FakeFred,  # noqa: F811 (fixture)
    monkeypatch: pytest.MonkeyPatch,
    demo: bool,
    name: str,
    arguments: dict[str, Any],
    args: list[str],
) -> None:
    if demo:
        for variable in ("ALPACA_API_KEY", "ALPACA_SECRET_KEY"):
            monkeypatch.delenv(variable)
    tools = make_tools(demo=demo)
    tools.front.app.clock = FakeClock(T0)  # the same instant as the frozen command below
    prefix = ["--demo"] if demo else []

    def command(*args: str) -> Outcome:
        with freeze_time(T0):
            done = pm(*prefix, *args, "--json")
        pm_logging.configure("critical", "json")  # off the command's closed stderr
        return done

    if name in SETUP:
        prepare(pm, {name}, *prefix)
    elif not demo:
        command("snapshot")  # the account is known, as after any first command

    for _ in range(2):  # twice first: a risk check may store alerts, a regime its cache
        tools.call(name, **arguments)
        command(*args)
    result = tools.call(name, **arguments)
    assert not result.is_error, text(result)
    done = command(*args)
    assert done.code in (0, 1), done.stderr  # 1: a breached limit or a rejected order
    key = LIST_KEYS[name]
    expected = {key: done.json()} if key else done.json()
    assert exact(result) == expected
    assert result.structured_content == json.loads(json.dumps(expected, default=float))


def test_lots_count_days_on_new_york_dates_as_the_command_does(
    make_tools: MakeTools, pm: PmRunner
) -> None:
    evening = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # 21:00 on 2 March in New York
    tools = make_tools()
    tools.front.app.clock = FakeClock(evening)
    with freeze_time(evening):
        done = pm("--demo", "trades", "lots", "--open", "--json")
    pm_logging.configure("critical", "json")  # off the command's closed stderr
    assert done.code == 0, done.stderr
    lots = exact(tools.call("get_lots", which="open"))["lots"]
    assert lots == done.json()
    assert {lot["holding_days"] for lot in lots} != {None}

"""`execute_rebalance`: a preview (the plan of `pm rebalance plan --json`, the gate's verdict, a
token), then exactly that plan run through `pm rebalance run --execute`'s service; the token
refused when reused or after the account changed; the market-hours refusal of the CLI; absent
without writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from pm.db.engine import open_database
from pm.db.tables import orders, rebalance_runs
from tests.cli.conftest import PmRunner
from tests.mcp_tools.conftest import MakeTools, Tools, exact
from tests.mcp_tools.test_write_tools import command
from tests.support.clocks import FakeClock

POLICY = ("--target", "AAPL=5", "--target", "MSFT=5", "--target", "XOM=5", "--cash-pct", "85")


@pytest.fixture
def demo_policy(pm: PmRunner, pm_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PM_DATABASE_URL", f"sqlite:///{pm_home / 'pm.db'}")
    assert command(pm, "--demo", "policy", "create", "core", *POLICY).code == 0
    assert command(pm, "--demo", "policy", "activate", "core").code == 0
    return pm_home / "pm.db"


def rows(db: Path, table: object) -> list[dict[str, object]]:
    with open_database(f"sqlite:///{db}") as opened, opened.engine.connect() as c:
        return [dict(r._mapping) for r in c.execute(select(table))]  # type: ignore[arg-type]


def listed(pm: PmRunner) -> list[dict[str, object]]:
    done = command(pm, "--demo", "rebalance", "list", "--json")
    assert done.code == 0, done.stderr
    return done.json()  # type: ignore[no-any-return]


def test_preview_then_confirm_executes_the_previewed_plan_once(
    make_tools: MakeTools, pm: PmRunner, demo_policy: Path
) -> None:
    tools = make_tools(allow_writes=True)
    previewed = tools.call("execute_rebalance", queue=True)
    assert not previewed.is_error, previewed.content
    preview = exact(previewed)  # numbers as Decimal, as the CLI's JSON is read
    assert preview["executed"] is False
    assert preview["action"] == "execute_rebalance"
    plan = preview["plan"]
    planned = command(pm, "--demo", "rebalance", "plan", "--json").json()
    assert set(plan) == set(planned)  # the fields of `pm rebalance plan --json`
    assert plan["intents"] == planned["intents"]
    assert plan["intents"], "the demo account is off its policy"
    assert preview["gate"]["approved"] is True
    assert preview["gate"]["orders"] == len(plan["intents"])
    assert preview["expires_in_seconds"] == 60
    assert listed(pm) == []  # a preview sends and stores nothing
    assert rows(demo_policy, orders) == []
    token = preview["confirmation_token"]

    done = tools.data("execute_rebalance", queue=True, confirmation_token=token)
    assert done["executed"] is True
    run = done["result"]
    assert run["status"] == "completed"
    assert run["trigger"] == "manual"
    assert run["plan_id"] == plan["plan_id"]  # exactly the plan that was shown
    assert [i["seq"] for i in run["intents"]] == [i["seq"] for i in plan["intents"]]
    assert {o["status"] for o in run["orders"]} == {"filled"}
    assert [(r["run_id"], r["status"]) for r in listed(pm)] == [(run["run_id"], "completed")]
    placed = rows(demo_policy, orders)
    assert len(placed) == len(plan["intents"])
    assert {o["origin"] for o in placed} == {"rebalance"}
    (stored,) = rows(demo_policy, rebalance_runs)
    assert stored["trigger_type"] == "manual"
    assert stored["input_snapshot"]["origin"] == "mcp"  # type: ignore[index]

    again = tools.error("execute_rebalance", queue=True, confirmation_token=token)
    assert again["reason"] == "ConfirmationRefused"
    assert "already used" in again["message"]
    assert len(listed(pm)) == 1  # nothing ran twice
    assert len(rows(demo_policy, orders)) == len(placed)


def test_a_token_is_refused_after_the_account_changed(
    make_tools: MakeTools, pm: PmRunner, demo_policy: Path
) -> None:
    tools = make_tools(allow_writes=True)
    preview = tools.data("execute_rebalance", queue=True)
    closed = command(pm, "--demo", "close", "AAPL", "--qty", "1", "--yes")  # at a terminal
    assert closed.code == 0, closed.stderr
    refused = tools.error(
        "execute_rebalance", queue=True, confirmation_token=preview["confirmation_token"]
    )
    assert refused["reason"] == "ConfirmationRefused"
    assert "account changed" in refused["message"]
    assert listed(pm) == []
    assert {o["origin"] for o in rows(demo_policy, orders)} == {"close"}  # no rebalance order


def test_a_token_is_refused_after_the_policy_changed(
    make_tools: MakeTools, pm: PmRunner, demo_policy: Path
) -> None:
    tools = make_tools(allow_writes=True)
    preview = tools.data("execute_rebalance", queue=True)
    other = ("--target", "AAPL=6", "--cash-pct", "94")
    assert command(pm, "--demo", "policy", "create", "other", *other).code == 0
    assert command(pm, "--demo", "policy", "activate", "other").code == 0
    refused = tools.error(
        "execute_rebalance", queue=True, confirmation_token=preview["confirmation_token"]
    )
    assert "account changed" in refused["message"]
    assert listed(pm) == []
    assert rows(demo_policy, orders) == []


def test_a_closed_market_is_refused_without_queue(
    make_tools: MakeTools, pm: PmRunner, demo_policy: Path
) -> None:
    tools = make_tools(allow_writes=True)
    saturday = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
    tools.front.app.clock = FakeClock(saturday, step=timedelta(milliseconds=1))
    refused = tools.error("execute_rebalance")
    assert refused["error"] == "BadInput"
    assert refused["reason"] == "MarketClosed"
    assert "`queue`" in refused["message"]
    assert refused["status_code"] == 400
    assert listed(pm) == []
    assert rows(demo_policy, orders) == []


def test_absent_without_writes(make_tools: MakeTools) -> None:
    tools: Tools = make_tools()
    assert "execute_rebalance" not in tools.list()
    result = tools.call("execute_rebalance", queue=True)
    assert result.is_error

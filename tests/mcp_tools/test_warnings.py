"""What a command says on stderr as a warning reaches the assistant: `Front.run` keeps the
warnings said through the app's Terminal while a tool runs, and the result carries each as a
text item after the JSON (and in `_meta`), the JSON and structured content unchanged."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from mcp.types import CallToolResult

from pm import logging as pm_logging
from pm.cli.context import AppContext, Options
from pm.mcp.front import Answer, Front
from pm.mcp.server import WARNINGS_META
from tests.cli.conftest import PmRunner
from tests.mcp_tools.conftest import MakeTools, exact, text
from tests.support.fake_alpaca import FakeAlpaca

SECRET = "sk-test-0123456789abcdef"


def warns_twice(front: Front) -> dict[str, Any]:
    front.app.terminal.warn("first: the data is an hour old")
    front.app.terminal.warn(f"second: mentions {SECRET}")
    return {"answer": 42}


def warns_then_fails(front: Front) -> dict[str, Any]:
    front.app.terminal.warn("said before the failure")
    from pm.domain.errors import NotFound

    raise NotFound("no open position in ZZZZ")


@pytest.fixture
def front(pm_home: Path, monkeypatch: pytest.MonkeyPatch) -> Front:
    monkeypatch.setenv("ALPACA_SECRET_KEY", SECRET)
    app = AppContext(Options(demo=True))
    assert app.settings.alpaca_secret_key is not None  # settings read: secrets are scrubbed
    return Front(app, allow_writes=False)


def test_front_keeps_a_tools_warnings_in_order_scrubbed_and_off_stderr(
    front: Front, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pm.mcp"):
        answer = front.run(warns_twice, {})
    assert answer == Answer(
        True,
        {"answer": 42},
        ("first: the data is an hour old", "second: mentions ***"),
    )
    assert "warning" not in capsys.readouterr().err  # not written for the call
    logged = [r.getMessage() for r in caplog.records if r.name == "pm.mcp"]
    assert logged == [f"tool warns_twice warned: {w}" for w in answer.warnings]
    assert SECRET not in " ".join(logged)
    # after the call the Terminal writes warnings again, as at a terminal
    front.app.terminal.warn("a command's own")
    assert "warning: a command's own" in capsys.readouterr().err
    assert front.run(lambda f: {"calm": True}, {}).warnings == ()  # each call its own


def test_a_failed_calls_warnings_are_logged_and_its_error_keeps_its_shape(
    front: Front, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pm.mcp"):
        answer = front.run(warns_then_fails, {})
    assert answer.ok is False
    assert answer.warnings == ()
    assert answer.data == {
        "error": "NotFound",
        "message": "no open position in ZZZZ",
        "status_code": 404,
    }
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "pm.mcp"]
    assert [r.getMessage() for r in warned] == [
        "tool warns_then_fails warned before failing: said before the failure"
    ]


def _texts(result: CallToolResult) -> list[str]:
    """Every content item's text (each is a text item)."""
    assert all(block.type == "text" for block in result.content)
    return [block.text for block in result.content if block.type == "text"]


def _warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: ")]


def test_a_tool_says_the_same_warnings_as_its_command(
    make_tools: MakeTools,
    pm: PmRunner,
    alpaca: FakeAlpaca,
) -> None:
    """The fake account has no price history: `pm risk` falls back to flat VaR and warns."""
    tools = make_tools(demo=False)
    result = tools.call("check_portfolio_risk")
    done = pm("risk", "--json")
    pm_logging.configure("critical", "json")  # off the command's closed stderr
    assert done.code in (0, 1), done.stderr
    said = _warning_lines(done.stderr)
    assert any("using flat VaR" in line for line in said)
    assert not result.is_error
    assert _texts(result) == [text(result), *said]
    assert (result.meta or {})[WARNINGS_META] == [w.removeprefix("warning: ") for w in said]
    # the JSON and the structured content are still the record alone
    assert result.structured_content == json.loads(text(result))
    assert set(exact(result)) == set(done.json())


def test_a_demo_ledger_that_cannot_sync_warns_in_every_tool_that_reads_it(
    make_tools: MakeTools, pm: PmRunner, pm_home: Path
) -> None:
    """A database refusing new fills: `local_sync` warns (the command on stderr), and the
    ledger tools, `validate_order` (the gate syncs the demo's ledger) and `rebalance_plan`
    say it in their answers."""
    assert pm("db", "upgrade").code == 0
    with sqlite3.connect(pm_home / "pm.db") as db:
        db.execute(
            "CREATE TRIGGER no_fills BEFORE INSERT ON fills "
            "BEGIN SELECT RAISE(ABORT, 'fills are read-only here'); END"
        )
    done = pm("--demo", "trades", "lots", "--json")
    pm_logging.configure("critical", "json")  # off the command's closed stderr
    assert done.code == 0, done.stderr
    said = _warning_lines(done.stderr)
    assert len(said) == 1
    assert said[0].startswith("warning: trade ledger not synced: database ")
    assert said[0].endswith("fills are read-only here")

    # `pm performance` says one more: its view's, on a ledger never synced
    stats = "warning: no trade statistics: the trade ledger was never synced (run pm trades sync)"
    performance = pm("--demo", "performance", "--json")
    pm_logging.configure("critical", "json")
    assert _warning_lines(performance.stderr) == [*said, stats]

    tools = make_tools()
    calls: list[tuple[str, dict[str, Any], list[str]]] = [
        ("get_trades", {}, said),
        ("get_lots", {"which": "open"}, said),
        ("validate_order", {"symbol": "AAPL", "side": "buy", "qty": 1}, said),
        ("get_performance", {}, [*said, stats]),
    ]
    for name, arguments, expected in calls:
        result = tools.call(name, **arguments)
        assert not result.is_error, text(result)
        assert _texts(result)[1:] == expected, name
        meta = (result.meta or {})[WARNINGS_META]
        assert meta == [w.removeprefix("warning: ") for w in expected], name
        assert result.structured_content == json.loads(text(result)), name
    assert tools.data("get_trades") == {"fills": []}

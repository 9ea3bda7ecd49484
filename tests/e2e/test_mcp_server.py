"""`pm --demo mcp` as an assistant starts it: the installed entry point as a subprocess, spoken to
over stdio by the MCP SDK's own client (stdout carries only the protocol)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PM_SCRIPT = Path(sys.executable).parent / "pm"


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALPACA_", "APCA_", "PM_", "FRED_", "_PM_"))
    }
    env.update(
        PM_DATABASE_URL=f"sqlite:///{home / 'pm.db'}",
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        PM_LOG_LEVEL="info",  # log lines must still go to stderr, never into the protocol
    )
    return env


def test_a_stdio_client_initializes_lists_and_calls_two_tools(tmp_path: Path) -> None:
    if not PM_SCRIPT.exists():
        pytest.skip(f"no installed `pm` console script at {PM_SCRIPT} (run `uv sync` first)")
    params = StdioServerParameters(
        command=str(PM_SCRIPT), args=["--demo", "mcp"], env=_env(tmp_path)
    )

    async def session() -> dict[str, Any]:
        with anyio.fail_after(60):
            async with Client(params) as client:
                assert client.server_info is not None
                names = sorted(t.name for t in (await client.list_tools()).tools)
                snapshot = await client.call_tool("get_portfolio_snapshot", {})
                risk = await client.call_tool("check_portfolio_risk", {})
                return {"info": client.server_info, "names": names, "s": snapshot, "r": risk}

    got = anyio.run(session)
    assert got["info"].name == "pm"
    assert "get_live_positions" in got["names"]
    assert "close_position" not in got["names"]  # read-only without --allow-writes
    snapshot, risk = got["s"], got["r"]
    assert not snapshot.is_error
    assert snapshot.structured_content["source"]["type"] == "simulated"
    assert not risk.is_error
    assert risk.structured_content["account_id"] == snapshot.structured_content["account_id"]


def test_pm_mcp_allow_writes_in_the_environment_offers_the_write_tools(tmp_path: Path) -> None:
    if not PM_SCRIPT.exists():
        pytest.skip(f"no installed `pm` console script at {PM_SCRIPT} (run `uv sync` first)")
    env = {**_env(tmp_path), "PM_MCP_ALLOW_WRITES": "true"}
    params = StdioServerParameters(command=str(PM_SCRIPT), args=["--demo", "mcp"], env=env)

    async def names() -> set[str]:
        with anyio.fail_after(60):
            async with Client(params) as client:
                return {t.name for t in (await client.list_tools()).tools}

    assert {"close_position", "trip_circuit_breaker"} <= anyio.run(names)


def test_a_warning_pm_says_on_stderr_arrives_in_the_tool_result(tmp_path: Path) -> None:
    """The demo's ledger cannot be brought up to date (its database refuses new fills): at a
    terminal `pm trades` warns on stderr; over stdio, where stderr is only the server's log,
    the warning comes back in the tool's result, after the JSON."""
    if not PM_SCRIPT.exists():
        pytest.skip(f"no installed `pm` console script at {PM_SCRIPT} (run `uv sync` first)")
    env = _env(tmp_path)
    upgrade = subprocess.run(
        [str(PM_SCRIPT), "db", "upgrade"], env=env, capture_output=True, text=True, check=False
    )
    assert upgrade.returncode == 0, upgrade.stderr
    with sqlite3.connect(tmp_path / "pm.db") as db:
        db.execute(
            "CREATE TRIGGER no_fills BEFORE INSERT ON fills "
            "BEGIN SELECT RAISE(ABORT, 'fills are read-only here'); END"
        )
    params = StdioServerParameters(command=str(PM_SCRIPT), args=["--demo", "mcp"], env=env)

    async def session() -> Any:
        with anyio.fail_after(60):
            async with Client(params) as client:
                return await client.call_tool("get_lots", {"which": "open"})

    lots = anyio.run(session)
    assert not lots.is_error
    assert lots.structured_content == {"lots": []}  # nothing stored: and it says why
    json_text, warning = lots.content
    assert json_text.type == "text"
    assert json.loads(json_text.text) == {"lots": []}
    assert warning.type == "text"
    assert warning.text.startswith("warning: trade ledger not synced: database sqlite:///")
    assert warning.text.endswith(": fills are read-only here")
    assert lots.meta["pm/warnings"] == [warning.text.removeprefix("warning: ")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_http_transport_serves_the_same_tools(tmp_path: Path) -> None:
    if not PM_SCRIPT.exists():
        pytest.skip(f"no installed `pm` console script at {PM_SCRIPT} (run `uv sync` first)")
    port = _free_port()
    server = subprocess.Popen(
        [str(PM_SCRIPT), "--demo", "mcp", "--transport", "http", "--port", str(port)],
        env=_env(tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "pm mcp --transport http did not listen"
                time.sleep(0.1)

        async def session() -> tuple[set[str], Any]:
            with anyio.fail_after(60):
                async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                    names = {t.name for t in (await client.list_tools()).tools}
                    return names, await client.call_tool("check_circuit_breaker", {})

        names, breaker = anyio.run(session)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "get_live_positions" in names
    assert "close_position" not in names
    assert breaker.structured_content["state"] == "ACTIVE"


def test_writes_over_http_are_refused_off_loopback(tmp_path: Path) -> None:
    if not PM_SCRIPT.exists():
        pytest.skip(f"no installed `pm` console script at {PM_SCRIPT} (run `uv sync` first)")
    done = subprocess.run(
        [
            str(PM_SCRIPT),
            "--demo",
            "mcp",
            "--transport",
            "http",
            "--host",
            "0.0.0.0",
            "--allow-writes",
        ],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "loopback" in done.stderr


def test_a_client_that_goes_away_mid_answer_ends_the_server_quietly(tmp_path: Path) -> None:
    """A desktop client that quits closes its end of the pipes while an answer is on its way:
    as `pm ... | head`, a broken pipe is not pm's internal error."""
    if not PM_SCRIPT.exists():
        pytest.skip(f"no installed `pm` console script at {PM_SCRIPT} (run `uv sync` first)")
    server = subprocess.Popen(
        [str(PM_SCRIPT), "--demo", "mcp"],
        env=_env(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert server.stdin is not None
    assert server.stdout is not None
    hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t"}}
    server.stdin.write(_line({"id": 0, "method": "initialize", "params": hello}))
    server.stdin.flush()
    assert b'"id":0' in server.stdout.readline()
    server.stdin.write(_line({"method": "notifications/initialized"}))
    server.stdout.close()  # the client is gone: writing the next answer fails
    server.stdin.write(_line({"id": 1, "method": "ping"}))
    server.stdin.flush()
    time.sleep(1)  # the answer, written at once, fails; then stdin closes too
    server.stdin.close()
    code = server.wait(timeout=60)
    stderr = server.stderr.read().decode() if server.stderr else ""
    assert "internal error" not in stderr
    assert "Traceback" not in stderr
    assert code == 0


def _line(message: dict[str, Any]) -> bytes:
    return (json.dumps({"jsonrpc": "2.0", **message}) + "\n").encode()

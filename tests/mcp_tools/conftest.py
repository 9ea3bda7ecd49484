"""The MCP server in-process, through the SDK's own client, on an isolated database."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult, Tool

from pm.cli.context import AppContext, Options
from pm.mcp.confirm import Confirmations
from pm.mcp.front import Front
from pm.mcp.server import build
from tests.cli.conftest import alpaca, pm, pm_home  # noqa: F401 (fixtures)
from tests.support.clocks import FakeClock


class Tools:
    """A server and a client session per call (the server, its account and tokens persist)."""

    def __init__(self, front: Front) -> None:
        self.front = front
        self.server = build(front)

    def list(self) -> dict[str, Tool]:
        async def go() -> list[Tool]:
            async with Client(self.server) as client:
                return (await client.list_tools()).tools

        return {t.name: t for t in anyio.run(go)}

    def call(self, name: str, **arguments: Any) -> CallToolResult:
        async def go() -> CallToolResult:
            async with Client(self.server) as client:
                return await client.call_tool(name, arguments)

        return anyio.run(go)

    def data(self, name: str, **arguments: Any) -> Any:
        """A successful call's structured content."""
        result = self.call(name, **arguments)
        assert not result.is_error, result.content
        return result.structured_content

    def error(self, name: str, **arguments: Any) -> dict[str, Any]:
        """A failed call's error object (structured, and the same as its text)."""
        result = self.call(name, **arguments)
        assert result.is_error, result.structured_content
        assert result.structured_content == json.loads(text(result))
        assert result.structured_content is not None
        return result.structured_content


def text(result: CallToolResult) -> str:
    block = result.content[0]
    assert block.type == "text"
    return block.text


def exact(result: CallToolResult) -> Any:
    """The text content with numbers as Decimal: exactly what was written."""
    return json.loads(text(result), parse_float=Decimal, parse_int=Decimal)


MakeTools = Callable[..., Tools]


@pytest.fixture
def make_tools(pm_home: Path) -> MakeTools:  # noqa: F811 (fixture)
    """make_tools(demo=True, allow_writes=False, token_clock=None): a server on the isolated
    environment (settings are read when a tool first runs)."""

    def make(
        *, demo: bool = True, allow_writes: bool = False, token_clock: FakeClock | None = None
    ) -> Tools:
        app = AppContext(Options(demo=demo))
        confirmations = Confirmations(token_clock) if token_clock is not None else None
        return Tools(Front(app, allow_writes=allow_writes, confirmations=confirmations))

    return make

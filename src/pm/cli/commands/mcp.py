"""`pm mcp`: serve pm's tools to AI assistants over the Model Context Protocol."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class TransportOpt(StrEnum):
    stdio = "stdio"
    http = "http"


def mcp(
    ctx: typer.Context,
    transport: Annotated[
        TransportOpt,
        typer.Option("--transport", help="stdio (an assistant starts pm) or http."),
    ] = TransportOpt.stdio,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (http).")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on (http).")
    ] = 8765,
    allow_writes: Annotated[
        bool,
        typer.Option(
            "--allow-writes",
            help="Also offer trip_circuit_breaker, close_position and execute_rebalance "
            "(two-step, confirmed; or PM_MCP_ALLOW_WRITES=true).",
        ),
    ] = False,
) -> None:
    """Serve pm's tools to AI assistants (MCP): read-only unless --allow-writes."""
    from pm.mcp.server import serve

    app_ = ctx.obj
    serve(
        app_,
        transport=transport.value,
        host=host,
        port=port,
        allow_writes=allow_writes or app_.settings.pm_mcp_allow_writes,
    )

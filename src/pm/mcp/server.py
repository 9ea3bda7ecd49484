"""The MCP server: the SDK's `MCPServer` with pm's tools, over stdio or streamable HTTP.

Only this module imports the MCP SDK (about a second of imports), and only `pm mcp` imports
this module. Nothing here writes to stdout: on the stdio transport stdout is the protocol.
"""

from __future__ import annotations

import inspect
import ipaddress
import json
from typing import TYPE_CHECKING, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import ValidationError

from pm import __version__
from pm.cli.output import json_text
from pm.domain.errors import BadInput
from pm.mcp import tools
from pm.mcp.front import Front
from pm.validation_text import phrase

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mcp.server.mcpserver import Context

    from pm.cli.context import AppContext

Transport = Literal["stdio", "http"]

#: The result's `_meta` key for a call's warnings, there only when there are some. Not in the
#: structured content, which stays exactly the command's --json (a test compares them; a plan's
#: and a validation's own `warnings` field are theirs).
WARNINGS_META = "pm/warnings"

INSTRUCTIONS = (
    "pm: portfolio operations for an Alpaca account (or the simulated demo account). Read "
    "tools return the same fields as pm's --json output; money and quantities are exact "
    "decimal numbers. Write tools (present only when the server was started with "
    "--allow-writes) run in two steps: call without confirmation_token for a preview, show it "
    "to the person, and call again with the token (valid 60 s, once) only if they agree. "
    "A result may carry warnings (data not live, a ledger not synced, a fallback): each is "
    "a text item 'warning: ...' after the JSON (also listed in the result's _meta under "
    f"{WARNINGS_META!r}); tell the person, and never present such data as live."
)


class PmServer(MCPServer[Any]):
    """The SDK's server, whose own refusals of a call (arguments its input schema rejects, a
    tool it does not offer) are tool errors with the CLI's JSON error object, like every
    other error, instead of the SDK's text (pydantic's, with a link to its docs). An argument
    a tool does not take is refused, as a command refuses an unknown option: the SDK drops
    it, and `close_position` given `quantity` for `qty` would close the whole position."""

    def __init__(self, front: Front) -> None:
        super().__init__(
            name="pm", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
        )
        self.front = front
        self.takes: dict[str, tuple[str, ...]] = {}  # each tool's argument names

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> Any:
        unknown = [a for a in arguments if a not in self.takes.get(name, arguments)]
        if unknown:
            takes = ", ".join(self.takes[name]) or "none"
            given = ", ".join(f"`{a}`" for a in unknown)
            message = f"{name} has no argument {given} (its arguments: {takes})"
            return result(self.front.failed(name, BadInput(message)), error=True)
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as error:  # the tools' own errors never get here: `Front.run`
            if isinstance(error, UnexpectedToolError):
                raise
            if isinstance(error.__cause__, ValidationError):
                refusal = BadInput(invalid_arguments(error.__cause__))
            elif name in self.takes:
                raise
            elif name in {spec.name for spec in tools.TOOLS if spec.write}:
                refusal = BadInput(
                    f"`{name}` is a write tool: offered only when `pm mcp` runs with "
                    "--allow-writes (or PM_MCP_ALLOW_WRITES=true)"
                )
            else:
                refusal = BadInput(f"no tool named `{name}`")
        return result(self.front.failed(name, refusal), error=True)


def invalid_arguments(error: ValidationError) -> str:
    """What is wrong with each argument, in pm's words ("`qty` must be a number, got 'x'")."""
    said = []
    for item in error.errors():
        text = phrase(item)
        if item["type"] not in ("value_error", "assertion_error"):  # ours name the argument
            text = f"`{'.'.join(str(part) for part in item['loc'])}` {text}"
        said.append(text)
    return "; ".join(said)


def build(front: Front) -> MCPServer[Any]:
    """A server offering the tools `front` allows."""
    server = PmServer(front)
    for spec in tools.available(allow_writes=front.allow_writes):
        server.add_tool(
            _callable(front, spec),
            name=spec.name,
            title=spec.title,
            description=spec.description,
            annotations=hints(spec),
        )
        server.takes[spec.name] = tuple(inspect.signature(spec.run).parameters)[1:]
    return server


def hints(spec: tools.ToolSpec) -> ToolAnnotations:
    """The MCP tool annotations: read-only or destructive, and whether it calls the broker."""
    return ToolAnnotations(
        title=spec.title,
        read_only_hint=not (spec.write or spec.trips_breaker),
        destructive_hint=spec.write,
        idempotent_hint=spec.idempotent if spec.write else True,
        open_world_hint=spec.broker,
    )


def _callable(front: Front, spec: tools.ToolSpec) -> Callable[..., CallToolResult]:
    """The tool as the SDK sees it: the spec's arguments (not the Front), a CallToolResult."""
    signature = inspect.signature(spec.run, eval_str=True)
    parameters = list(signature.parameters.values())[1:]

    def call(**arguments: Any) -> CallToolResult:
        answer = front.run(spec.run, arguments)
        if not answer.ok:
            return result(answer.data, error=True)
        return result(spec.structured(answer.data), error=False, warnings=answer.warnings)

    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=CallToolResult
    )
    call.__name__ = spec.name
    call.__doc__ = spec.description
    return call


def result(data: dict[str, Any], *, error: bool, warnings: Sequence[str] = ()) -> CallToolResult:
    """The record as JSON text (Decimals written exactly, as --json does) and as structured
    content; an error carries the CLI's JSON error object both ways.

    Each warning the call said is one more text item, ``warning: <message>``, after the JSON,
    and the list is in the result's ``_meta`` under `WARNINGS_META`. The JSON text and the
    structured content stay exactly the command's --json record: a top-level key there
    would be a field no command has (and clash with a plan's own `warnings`)."""
    text = json_text(data)
    content = [TextContent(type="text", text=text)]
    content += [TextContent(type="text", text=f"warning: {w}") for w in warnings]
    return CallToolResult(
        meta={WARNINGS_META: list(warnings)} if warnings else None,
        content=content,
        structured_content=json.loads(text),
        is_error=error,
    )


def serve(
    app: AppContext,
    *,
    transport: Transport,
    host: str,
    port: int,
    allow_writes: bool,
) -> None:
    """Run until the client goes away (stdio) or the process is stopped (http)."""
    if transport == "http" and allow_writes and not _loopback(host):
        raise BadInput(
            f"--allow-writes over http only on a loopback host (127.0.0.1, ::1), not {host}: "
            "the HTTP transport has no authentication"
        )
    server = build(Front(app, allow_writes=allow_writes))
    if transport == "stdio":
        try:
            server.run("stdio")
        except BaseExceptionGroup as group:  # the SDK's task group: the reader and the writer
            if group.split(BrokenPipeError)[1] is not None:
                raise
            # the client went away before its answer: as `pm ... | head`, not an error
            raise BrokenPipeError from group
    else:
        server.run("streamable-http", host=host, port=port)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

"""`pm mcp`: the product's services as Model Context Protocol tools, for AI assistants.

A front end like `pm.cli`: it builds the same object graph (`pm.cli.context.AppContext`),
calls the same services, and returns the same records (`pm.records`) that `--json` prints.
Only `pm mcp` imports this package, and only this package imports the MCP SDK, so no other
command pays for it.

- `tools`: the registry (one `ToolSpec` per tool: its function, annotations, and whether it
  writes); adding a tool is a function and one entry.
- `confirm`: the two-step confirmation tokens of the write tools.
- `front`: runs a tool against the account (one call at a time), turning errors into the
  CLI's JSON error object.
- `server`: the SDK's `MCPServer`, its transports, and the tools registered on it.
"""

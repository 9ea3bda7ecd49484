"""The README's table of tools says what the server lists: every tool, its arguments and its
annotations (an assistant's user reads the table to decide what to allow)."""

from __future__ import annotations

import re

from tests.docs import readme
from tests.mcp_tools.conftest import MakeTools


def table() -> dict[str, tuple[str, str]]:
    """tool -> (its arguments cell, its annotations cell), comments in parentheses left out."""
    tools = readme.section("AI assistants: `pm mcp`").split("### Tools", 1)[1]
    rows = readme.first_table(tools)
    assert rows[0] == ["tool", "arguments", "returns the fields of", "annotations"]
    bare = [[re.sub(r"\([^()]*\)", "", cell) for cell in row] for row in rows[1:]]
    return {row[0].strip("`"): (row[1], row[3]) for row in bare}


def said(cell: str, hint: str) -> bool:
    return hint in cell and f"not {hint}" not in cell


def test_the_readme_table_lists_every_tool_with_its_arguments_and_annotations(
    make_tools: MakeTools,
) -> None:
    listed = make_tools(allow_writes=True).list()
    rows = table()
    assert set(rows) == set(listed)
    for name, (arguments, hinted) in rows.items():
        tool = listed[name]
        named = set(re.findall(r"[a-z_]+", " ".join(re.findall(r"`([^`]+)`", arguments))))
        assert named == set(tool.input_schema.get("properties", {})), name
        hints = tool.annotations
        assert hints is not None
        assert said(hinted, "read-only") is hints.read_only_hint, name
        assert said(hinted, "destructive") is hints.destructive_hint, name
        assert said(hinted, "open world") is hints.open_world_hint, name
        if hints.destructive_hint:
            assert said(hinted, "idempotent") is hints.idempotent_hint, name

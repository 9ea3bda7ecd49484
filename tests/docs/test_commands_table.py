"""Every command `pm --help` offers is in the README's command table, and nothing else is."""

from __future__ import annotations

from typing import Any

import typer.main

from pm.cli.app import app
from tests.docs import readme

Paths = set[tuple[str, ...]]


def walk(command: Any, path: tuple[str, ...] = ()) -> tuple[Paths, Paths]:
    """(every command path, the paths a user can run) under `command`, hidden ones left out."""
    every: Paths = set()
    runnable: Paths = set()
    for name, sub in getattr(command, "commands", {}).items():
        if getattr(sub, "hidden", False):
            continue
        here = (*path, name)
        every.add(here)
        if hasattr(sub, "commands"):
            if sub.invoke_without_command:
                runnable.add(here)
            more, more_runnable = walk(sub, here)
            every |= more
            runnable |= more_runnable
        else:
            runnable.add(here)
    return every, runnable


def documented() -> set[tuple[str, ...]]:
    rows = readme.first_table(readme.section("Commands"))
    assert rows[0][0] == "command", "the Commands table's first column is 'command'"
    paths: set[tuple[str, ...]] = set()
    for row in rows[1:]:
        named = readme.command_paths(row[0])
        assert named, f"Commands table row names no `pm ...` command: {row[0]}"
        paths |= named
    return paths


def test_every_command_is_in_the_readme_table() -> None:
    _, runnable = walk(typer.main.get_command(app))
    missing = sorted(" ".join(p) for p in runnable - documented())
    assert not missing, f"commands missing from the README's Commands table: {missing}"


def test_the_readme_table_names_only_real_commands() -> None:
    every, _ = walk(typer.main.get_command(app))
    unknown = sorted(" ".join(p) for p in documented() - every)
    assert not unknown, f"the README's Commands table names commands pm does not have: {unknown}"


def test_command_paths_read_alternatives_and_stop_at_arguments() -> None:
    cell = "`pm book list|show ID`, `pm close-all --emergency`, `pm validate SYMBOL ...`"
    assert readme.command_paths(cell) == {
        ("book", "list"),
        ("book", "show"),
        ("close-all",),
        ("validate",),
    }

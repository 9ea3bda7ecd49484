"""The click command tree with each command group built on first use.

Typer turns every command's signature into click parameters when the tree is built, and with
some eighty commands that costs `pm --help` (and every command) about 50 ms of CPU. Here the
root is built with its own commands only; a group (`pm policy`, `pm rebalance`, ...) is built
when a command line names it, and `pm --help` lists groups by their help text alone.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import typer
import typer.main
from typer import _click
from typer.core import TyperGroup
from typer.models import TyperInfo


class LazyGroups(TyperGroup):
    """A root group whose sub-groups are built from their Typer apps when first asked for."""

    pending: dict[str, TyperInfo]
    listing: bool = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*super().list_commands(ctx), *self.pending]

    def get_command(self, ctx: _click.Context | None, cmd_name: str) -> _click.Command | None:
        info = self.pending.get(cmd_name)
        if info is not None:
            sub = info.typer_instance
            assert sub is not None
            if self.listing:  # the root's help needs the group's help text, not the group
                return TyperGroup(name=cmd_name, help=_help_of(sub))
            built = typer.main.get_group(sub)
            built.name = cmd_name
            _plain_help(built, self.rich_markup_mode)
            self.commands[cmd_name] = built
            del self.pending[cmd_name]
        return super().get_command(ctx, cmd_name)  # type: ignore[arg-type]

    def format_commands(self, ctx: _click.Context, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.listing = False


def build(app: typer.Typer) -> _click.Command:
    """`app`'s command tree, its groups left to be built on first use."""
    root_only = copy.copy(app)
    root_only.registered_groups = []
    root = typer.main.get_command(root_only)
    assert isinstance(root, TyperGroup)
    root.__class__ = LazyGroups  # the same object, with lazy sub-groups
    lazy: LazyGroups = root  # type: ignore[assignment]
    lazy.pending = {info.name: info for info in app.registered_groups if info.name}
    return lazy


def _help_of(app: typer.Typer) -> str | None:
    """A group's help as typer would show it: the Typer's own, else its callback's docstring."""
    callback = app.registered_callback.callback if app.registered_callback else None
    return app.info.help or (inspect.getdoc(callback) if callback else None)


def _plain_help(command: _click.Command, mode: Any) -> None:
    """Give a group built on its own the root's help style (typer passes it down only when it
    builds the whole tree)."""
    command.rich_markup_mode = mode  # type: ignore[attr-defined]
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub, mode)

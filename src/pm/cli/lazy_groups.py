"""The click command tree with each command and command group built on first use.

Typer turns every command's signature into click parameters when the tree is built, and with
some eighty commands that costs `pm --help` (and every command) about 50 ms of CPU; even the
root's own fifteen commands cost about 13 ms. Here the root is built with none of them: a
command or group (`pm snapshot`, `pm policy`, ...) is built when a command line names it, and
`pm --help` lists them by their help text alone.
"""

from __future__ import annotations

import copy
import inspect
from difflib import get_close_matches
from typing import Any

import typer
import typer.main
from typer import _click
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo, TyperInfo


class LazyGroups(TyperGroup):
    """A root group whose commands and sub-groups are built from their Typer declarations
    when first asked for."""

    pending: dict[str, CommandInfo | TyperInfo]
    names: tuple[str, ...]  # in the order typer would list them: commands, then groups
    own_commands: tuple[str, ...]  # the root's commands (not its groups)
    pretty_exceptions_short: bool
    listing: bool = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(self.names)

    def get_command(self, ctx: _click.Context | None, cmd_name: str) -> _click.Command | None:
        info = self.pending.get(cmd_name)
        if info is not None:
            if self.listing:  # the root's help needs the help text, not the command
                return _listing_entry(cmd_name, info)
            self.commands[cmd_name] = self._build(cmd_name, info)
            del self.pending[cmd_name]
        return super().get_command(ctx, cmd_name)  # type: ignore[arg-type]

    def _build(self, name: str, info: CommandInfo | TyperInfo) -> _click.Command:
        if isinstance(info, CommandInfo):
            return typer.main.get_command_from_info(
                info,
                pretty_exceptions_short=self.pretty_exceptions_short,
                rich_markup_mode=self.rich_markup_mode,
            )
        assert info.typer_instance is not None
        built = typer.main.get_group(info.typer_instance)
        built.name = name
        _plain_help(built, self.rich_markup_mode)
        return built

    def format_commands(self, ctx: _click.Context, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.listing = False

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        """An unknown command: typer suggests the root's commands it has built; all of them,
        as typer would have built them (its groups are not suggested, as before)."""
        try:
            return self._click_resolve_command(ctx, args)
        except _click.exceptions.UsageError as error:
            suggest = self.suggest_commands and args
            matches = get_close_matches(args[0], self.own_commands) if suggest else []
            if matches:
                suggestions = ", ".join(f"{m!r}" for m in matches)
                error.message = f"{error.message.rstrip('.')}. Did you mean {suggestions}?"
            raise


def build(app: typer.Typer) -> _click.Command:
    """`app`'s command tree, its commands and groups left to be built on first use."""
    root_only = copy.copy(app)
    root_only.registered_commands = []
    root_only.registered_groups = []
    root = typer.main.get_command(root_only)
    assert isinstance(root, TyperGroup)
    root.__class__ = LazyGroups  # the same object, with lazy commands and sub-groups
    lazy: LazyGroups = root  # type: ignore[assignment]
    commands = {_command_name(info): info for info in app.registered_commands}
    groups = {info.name: info for info in app.registered_groups if info.name}
    lazy.pending = {**commands, **groups}
    lazy.names = tuple(lazy.pending)
    lazy.own_commands = tuple(commands)
    lazy.pretty_exceptions_short = app.pretty_exceptions_short
    return lazy


def _command_name(info: CommandInfo) -> str:
    assert info.callback is not None
    return info.name or typer.main.get_command_name(info.callback.__name__)


def _listing_entry(name: str, info: CommandInfo | TyperInfo) -> _click.Command:
    """What the root's help lists for a command or group not built: typer's help text (the
    declared help, else the docstring), short help, hidden and deprecated marks."""
    if isinstance(info, CommandInfo):
        assert info.callback is not None
        text = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
        return TyperCommand(
            name=name,
            help=text,
            short_help=info.short_help,
            hidden=info.hidden,
            deprecated=info.deprecated,
        )
    assert info.typer_instance is not None
    return TyperGroup(name=name, help=_help_of(info.typer_instance))


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

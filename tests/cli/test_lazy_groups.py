"""The lazily built command tree (`pm.cli.lazy_groups`) is the tree typer builds whole: the
same root help, the same commands with the same options and help, the same suggestions."""

from __future__ import annotations

import pytest
import typer.main
from typer import _click
from typer.core import TyperGroup

from pm.cli.app import app
from pm.cli.lazy_groups import build

WHOLE = typer.main.get_command(app)
COMMANDS = [info.name for info in app.registered_commands]
GROUPS = [info.name for info in app.registered_groups]


def help_of(command: _click.Command, *path: str) -> str:
    ctx = _click.Context(command, info_name="pm")
    for name in path:
        assert isinstance(command, TyperGroup)
        sub = command.get_command(ctx, name)
        assert sub is not None
        ctx, command = _click.Context(sub, info_name=name, parent=ctx), sub
    return command.get_help(ctx)


def test_root_help_lists_every_command_and_group_as_typer_would() -> None:
    lazy = build(app)
    assert isinstance(lazy, TyperGroup)
    text = help_of(lazy)
    assert text == help_of(WHOLE)
    for name in [*COMMANDS, *GROUPS]:
        assert f"\n  {name} " in text or f"\n  {name}\n" in text
    assert not lazy.commands, "listing the root's help built a command"


@pytest.mark.parametrize("name", [*COMMANDS, *GROUPS])
def test_a_command_built_on_first_use_is_typers(name: str) -> None:
    lazy = build(app)
    assert help_of(lazy, name) == help_of(WHOLE, name)
    ctx = _click.Context(lazy, info_name="pm")
    assert isinstance(lazy, TyperGroup)
    assert isinstance(WHOLE, TyperGroup)
    built, whole = lazy.get_command(ctx, name), WHOLE.get_command(ctx, name)
    assert built is not None
    assert whole is not None
    assert [p.opts for p in built.params] == [p.opts for p in whole.params]
    assert list(lazy.commands) == [name]


@pytest.mark.parametrize("typo", ["snaps", "clos", "hystory", "valdate"])
def test_a_mistyped_command_is_suggested_as_typer_suggests_it(typo: str) -> None:
    messages = []
    for root in (build(app), WHOLE):
        assert isinstance(root, TyperGroup)
        ctx = _click.Context(root, info_name="pm")
        with pytest.raises(_click.exceptions.UsageError) as raised:
            root.resolve_command(ctx, [typo])
        messages.append(raised.value.message)
    assert messages[0] == messages[1]
    assert "Did you mean" in messages[0]

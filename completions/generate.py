"""Write pm's shell completion scripts (bash, zsh, fish) next to this file.

    uv run python completions/generate.py

The scripts come from Typer's completion classes, exactly what `_PM_COMPLETE=source_bash pm`
(`source_zsh`, `source_fish`) prints through Click's usual entry point. The scripts call
`pm` back with `_PM_COMPLETE=complete_<shell>` to get the candidates at each <Tab>.
tests/test_completions.py fails when a committed script differs from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROG_NAME = "pm"
COMPLETE_VAR = "_PM_COMPLETE"
FILES = {"bash": "pm.bash", "zsh": "_pm", "fish": "pm.fish"}


def render(shell: str) -> str:
    """The completion script for `shell`, as it should be committed."""
    import typer.main
    from typer._click.shell_completion import get_completion_class
    from typer.completion import completion_init

    from pm.cli.app import app

    completion_init()  # registers Typer's bash/zsh/fish classes with its vendored Click
    comp_cls = get_completion_class(shell)
    if comp_cls is None:
        raise ValueError(f"no completion support for {shell!r}")
    command = typer.main.get_command(app)
    script = comp_cls(command, {}, PROG_NAME, COMPLETE_VAR).source()
    return script.strip() + "\n"


def main() -> int:
    for shell, name in FILES.items():
        path = HERE / name
        path.write_text(render(shell))
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How settings look."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pm.cli.output import print_json, stdout_console
from pm.config import SettingView


def show_settings(views: Sequence[SettingView], config_file: Path, *, json_: bool) -> None:
    if json_:
        print_json(
            {
                "config_file": str(config_file),
                "settings": {v.name: {"value": v.value, "origin": v.origin} for v in views},
            }
        )
        return
    from rich.table import Table

    table = Table(caption=f"config file: {config_file}")
    table.add_column("Setting")
    table.add_column("Value")
    table.add_column("From")
    for v in views:
        table.add_row(v.name, "" if v.value is None else str(v.value), v.origin)
    stdout_console().print(table)

"""How settings look."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape

from pm.cli.terminal import Shown
from pm.cli.views.table import Col, FitTable
from pm.config import SettingView


def settings(views: Sequence[SettingView], config_file: Path) -> Shown:
    data = {
        "config_file": str(config_file),
        "settings": {v.name: {"value": v.value, "origin": v.origin} for v in views},
    }
    table = FitTable(
        (Col("Setting"), Col("Value", wrap=True), Col("From", 1)),
        [(v.name, escape("" if v.value is None else str(v.value)), v.origin) for v in views],
        notes=[f"config file: {config_file}"],
    )
    return Shown(data, table)

"""How settings look."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pm.cli.terminal import Shown
from pm.cli.views.table import Col, FitTable
from pm.config import SettingView


def settings(views: Sequence[SettingView], config_file: Path) -> Shown:
    data = {
        "config_file": str(config_file),
        "settings": {v.name: {"value": v.value, "origin": v.origin} for v in views},
    }
    return Shown(data, lambda: _table(views, config_file))  # Rich only for the table


def _table(views: Sequence[SettingView], config_file: Path) -> FitTable:
    from rich.markup import escape

    return FitTable(
        (Col("Setting"), Col("Value", wrap=True), Col("From", 1)),
        [(v.name, escape("" if v.value is None else str(v.value)), v.origin) for v in views],
        notes=[f"config file: {config_file}"],
    )

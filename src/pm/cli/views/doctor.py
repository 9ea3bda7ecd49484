"""How `pm doctor` looks: one line per check; a JSON array of the findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pm.cli.terminal import Shown
from pm.cli.views.common import markup_escaped
from pm.records import doctor as records
from pm.services.doctor import Diagnosis

if TYPE_CHECKING:
    from rich.console import RenderableType

_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "simulated": "magenta"}


def diagnosis(d: Diagnosis) -> Shown:
    return Shown(records.findings(d), lambda: _lines(d))


def _lines(d: Diagnosis) -> RenderableType:
    from rich.text import Text

    lines = [
        f"[{_STYLE.get(f.status, 'dim')}]{f.status:<9}[/] {f.check:<11} {markup_escaped(f.detail)}"
        for f in d.findings
    ]
    return Text.from_markup("\n".join(lines))

"""How `pm doctor` looks: one line per check; a JSON array of the findings."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text

from pm.cli.terminal import Shown
from pm.records import doctor as records
from pm.services.doctor import Diagnosis

_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "simulated": "magenta"}


def diagnosis(d: Diagnosis) -> Shown:
    lines = [
        f"[{_STYLE.get(f.status, 'dim')}]{f.status:<9}[/] {f.check:<11} {escape(f.detail)}"
        for f in d.findings
    ]
    return Shown(records.findings(d), Text.from_markup("\n".join(lines)))

"""How `pm doctor` looks: one line per check, or a JSON array of the findings."""

from __future__ import annotations

from typing import Any

from pm.cli.output import print_json, stdout_console
from pm.services.doctor import Diagnosis

_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "simulated": "magenta"}


def as_json(diagnosis: Diagnosis) -> list[dict[str, Any]]:
    return [
        {
            "check": f.check,
            "status": f.status,
            "detail": f.detail,
            "account_id": diagnosis.account_id,
        }
        for f in diagnosis.findings
    ]


def show(diagnosis: Diagnosis, json_: bool) -> None:
    if json_:
        print_json(as_json(diagnosis))
        return
    from rich.markup import escape

    console = stdout_console()
    for f in diagnosis.findings:
        style = _STYLE.get(f.status, "dim")
        status = f"[{style}]{f.status:<9}[/]"
        console.print(f"{status} {f.check:<11} {escape(f.detail)}", markup=True, soft_wrap=True)

"""How stored risk alerts look: a table, a JSON array, or CSV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pm.cli.output import print_csv, print_json, stdout_console
from pm.domain.timestamps import iso
from pm.ports import StoredAlert

FIELDS = (
    "id",
    "account_id",
    "created_at",
    "level",
    "code",
    "breach",
    "symbol",
    "sector",
    "message",
)


def as_json(stored: StoredAlert) -> dict[str, Any]:
    a = stored.alert
    return {
        "id": stored.id,
        "account_id": stored.account_id,
        "created_at": stored.created_at,
        "level": a.level,
        "code": a.code,
        "breach": a.is_breach,
        "symbol": a.symbol,
        "sector": a.sector,
        "message": a.message,
    }


def show(alerts: Sequence[StoredAlert], *, json_: bool = False, csv: bool = False) -> None:
    if json_:
        print_json([as_json(a) for a in alerts])
        return
    if csv:
        print_csv(FIELDS, (as_json(a) for a in alerts))
        return
    from rich.table import Table

    table = Table(caption="stored risk alerts, newest first (not live: pm risk for now)")
    table.add_column("Created", no_wrap=True)
    table.add_column("Level", no_wrap=True)
    table.add_column("Message", ratio=1)
    for s in alerts:
        a = s.alert
        level = "BREACH" if a.is_breach else a.level
        colour = "red" if a.level == "critical" else "yellow"
        table.add_row(iso(s.created_at.replace(microsecond=0)), f"[{colour}]{level}[/]", a.message)
    stdout_console().print(table)

"""How sector answers and imports look."""

from __future__ import annotations

from collections.abc import Mapping

from pm.cli.output import print_json, stdout_console
from pm.domain.sectors import Sector
from pm.services.sectors import ImportResult


def show_sectors(sectors: Mapping[str, Sector], json_: bool) -> None:
    if json_:
        print_json(
            [{"symbol": s, "sector": x.name, "source": x.source} for s, x in sectors.items()]
        )
        return
    from rich.table import Table

    table = Table()
    table.add_column("Symbol")
    table.add_column("Sector")
    table.add_column("Source")
    for symbol, sector in sectors.items():
        table.add_row(symbol, sector.name, sector.source)
    stdout_console().print(table)


def show_import(result: ImportResult, json_: bool) -> None:
    if json_:
        print_json(
            {
                "file": result.file,
                "rows": result.rows,
                "inserted": result.inserted,
                "updated": result.updated,
            }
        )
        return
    stdout_console().print(
        f"imported {result.rows} rows from {result.file}: "
        f"{result.inserted} new, {result.updated} updated"
    )

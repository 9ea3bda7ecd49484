"""How sector answers and imports look."""

from __future__ import annotations

from collections.abc import Mapping

from rich.markup import escape
from rich.text import Text

from pm.cli.terminal import Shown
from pm.cli.views.table import Col, FitTable
from pm.domain.sectors import Sector
from pm.records import sectors as records
from pm.services.sectors import ImportResult


def sectors(answers: Mapping[str, Sector]) -> Shown:
    table = FitTable(
        (Col("Symbol"), Col("Sector"), Col("Source", 1)),
        [(symbol, escape(s.name), s.source) for symbol, s in answers.items()],
    )
    data = [records.sector(symbol, s) for symbol, s in answers.items()]
    return Shown(data, table, columns=records.COLUMNS)


def imported(result: ImportResult) -> Shown:
    line = (
        f"imported {result.rows} rows from {result.file}: "
        f"{result.inserted} new, {result.updated} updated"
    )
    return Shown(records.imported(result), Text(line))

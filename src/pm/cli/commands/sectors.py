"""`pm sectors import FILE.csv` and `pm sectors show SYMBOL...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pm.cli.options import CsvOpt, JsonlOpt, JsonOpt, read_text_file

app = typer.Typer(no_args_is_help=True, help="Sector classification of symbols.")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="CSV with symbol,sector[,industry] columns (others are ignored)."),
    ],
    json_: JsonOpt = False,
) -> None:
    """Load or update sectors in universe_fundamentals; any bad row and nothing is written."""
    from pm.cli.views import sectors as view
    from pm.services import sectors as service

    app_ = ctx.obj
    result = service.import_csv(str(file), read_text_file(file), app_.risk_store, app_.clock)
    app_.terminal.show(view.imported(result))


@app.command("show")
def show(
    ctx: typer.Context,
    symbols: Annotated[list[str], typer.Argument(help="One or more symbols.")],
    json_: JsonOpt = False,
    csv: CsvOpt = False,
    jsonl: JsonlOpt = False,
) -> None:
    """Each symbol's sector and where the answer came from."""
    from pm.cli.views import sectors as view
    from pm.domain.errors import BadInput
    from pm.services.sectors import SectorResolver

    for symbol in symbols:  # `pm sectors show "$SYM"` with SYM unset is a mistake, not Unknown
        if not symbol.strip() or any(c.isspace() for c in symbol.strip()):
            raise BadInput(f"{symbol[:40]!r} is not a symbol (a ticker like AAPL)")
    app_ = ctx.obj
    app_.terminal.show(view.sectors(SectorResolver(app_.risk_store()).resolve_many(symbols)))

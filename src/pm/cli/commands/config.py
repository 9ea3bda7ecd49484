"""`pm config show`."""

from __future__ import annotations

import typer

from pm.cli.options import JsonOpt

app = typer.Typer(no_args_is_help=True, help="Configuration.")


@app.command("show")
def show(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Print the effective settings and where each came from; secrets are masked."""
    from pm.cli.views.config import settings
    from pm.config import config_file_path, describe

    app_ = ctx.obj
    app_.terminal.show(settings(describe(app_.settings, app_.overrides), config_file_path()))

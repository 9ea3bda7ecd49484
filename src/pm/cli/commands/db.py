"""`pm db upgrade` and `pm db current`."""

from __future__ import annotations

import typer

from pm.cli.options import JsonOpt

app = typer.Typer(no_args_is_help=True, help="Database migrations.")


@app.command("upgrade")
def upgrade(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Bring the database to the latest schema revision (safe to run at any time)."""
    from pm.cli.views.db import show_revision
    from pm.db import migrate

    url = ctx.obj.settings.pm_database_url
    before = migrate.current_revision(url)
    migrate.upgrade(url)
    after = migrate.current_revision(url)
    show_revision(url, after, json_=json_, upgrade=True, upgraded_from=before)


@app.command("current")
def current(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the database's schema revision and the latest one this pm knows."""
    from pm.cli.views.db import show_revision
    from pm.db import migrate

    url = ctx.obj.settings.pm_database_url
    show_revision(url, migrate.current_revision(url), json_=json_)

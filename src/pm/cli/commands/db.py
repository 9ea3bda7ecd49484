"""`pm db upgrade` and `pm db current`."""

from __future__ import annotations

import typer

from pm.cli.options import JsonOpt

app = typer.Typer(no_args_is_help=True, help="Database migrations.")


@app.command("upgrade")
def upgrade(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Bring the database to the latest schema revision (safe to run at any time)."""
    from pm.cli.views.db import revision
    from pm.db.engine import upgrade as run_upgrade

    url = ctx.obj.settings.pm_database_url
    done = run_upgrade(url)
    ctx.obj.terminal.show(revision(url, done.after, upgrade=True, upgraded_from=done.before))


@app.command("current")
def current(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the database's schema revision and the latest one this pm knows (exit 6 if behind)."""
    from pm.cli.views.db import revision
    from pm.db.engine import current_revision
    from pm.db.migrate import behind
    from pm.db.urls import mask_url

    url = ctx.obj.settings.pm_database_url
    rev = current_revision(url)
    ctx.obj.terminal.show(revision(url, rev))
    problem = behind(mask_url(url), rev)
    if problem is not None:
        raise problem

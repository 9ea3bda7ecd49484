"""The `pm` entry point: runs the app and maps whatever escapes it to an exit code."""

from __future__ import annotations

import sys

from pm.cli.context import AppContext
from pm.cli.errors import EXIT_OK, EXIT_USAGE, report


def run(argv: list[str] | None = None) -> int:
    """Run `pm` with `argv`; return the exit code instead of raising SystemExit."""
    import typer.main
    from typer._click.exceptions import NoArgsIsHelpError

    from pm.cli.app import app

    args = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app)
    app_ctx = AppContext()
    try:
        with command.make_context("pm", args, obj=app_ctx) as ctx:
            command.invoke(ctx)
        app_ctx.finish()
        return EXIT_OK
    except typer.Exit as done:
        return done.exit_code
    except NoArgsIsHelpError as empty:
        empty.show()
        return EXIT_USAGE
    except (Exception, KeyboardInterrupt) as error:
        return report(
            error,
            as_json=app_ctx.json_output,
            debug=app_ctx.options.debug or "--debug" in args,
            scrub=app_ctx.scrub,
        )


def entry() -> None:
    sys.exit(run())

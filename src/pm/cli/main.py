"""The `pm` entry point: runs the app and maps whatever escapes it to an exit code."""

from __future__ import annotations

import gc
import os
import sys
from contextlib import suppress
from functools import cache
from typing import TYPE_CHECKING

from pm.cli import argv as argv_module
from pm.cli.context import AppContext, Options
from pm.cli.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, report

if TYPE_CHECKING:
    from typer._click import Command

COMPLETE_VAR = "_PM_COMPLETE"


@cache
def _command() -> Command:
    """The click command tree, built once per process (a program calling `run` many times,
    such as the test suite, pays for it once); its groups are built when first named."""
    from pm.cli.app import app
    from pm.cli.lazy_groups import build

    return build(app)


def run(argv: list[str] | None = None) -> int:
    """Run `pm` with `argv`; return the exit code instead of raising SystemExit."""
    command = _command()
    instruction = os.environ.get(COMPLETE_VAR)
    if instruction:
        return _complete(command, instruction)
    line = argv_module.read(command, sys.argv[1:] if argv is None else argv)
    app_ctx = AppContext()
    code = _run(command, line, app_ctx)
    if code != EXIT_INTERRUPTED:  # Ctrl-C ends at once: nothing waits on the database
        with suppress(Exception):  # closing after the outcome is known changes nothing in it
            app_ctx.close()
    return code


def _run(command: Command, line: argv_module.CommandLine, app_ctx: AppContext) -> int:
    import typer
    from typer._click.exceptions import NoArgsIsHelpError

    try:
        try:
            with command.make_context("pm", list(line.args), obj=app_ctx) as ctx:
                app_ctx.options = Options(**{k: ctx.params[k] for k in argv_module.GLOBAL_OPTIONS})
                if not line.help:
                    configure_logging(app_ctx)
                command.invoke(ctx)
        except BrokenPipeError:
            _discard_stdout()  # the reader went away (pm ... | head): not an error
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
            as_json=app_ctx.json_output or line.json,
            debug=app_ctx.options.debug or "--debug" in line.args,
            scrub=app_ctx.scrub,
            terminal=app_ctx.terminal,
        )


def configure_logging(app_ctx: AppContext) -> None:
    """Logging for this run, from the settings and -v/--debug, before the command starts.

    Settings that do not parse are the command's to report when it reads them (`pm doctor`
    as one of its checks); until then the options alone set the level.
    """
    from pm import logging as pm_logging
    from pm.domain.errors import BadInput

    options = app_ctx.options
    try:
        settings = app_ctx.settings
    except BadInput:
        level = app_ctx.terminal.log_level(
            "warning", verbose=options.verbose, debug=options.debug, fmt=None
        )
        pm_logging.configure(level, None)
        return
    level = app_ctx.terminal.log_level(
        settings.pm_log_level,
        verbose=options.verbose,
        debug=options.debug,
        fmt=settings.pm_log_format,
    )
    pm_logging.configure(level, settings.pm_log_format, app_ctx.secrets(settings))


def _complete(command: object, instruction: str) -> int:
    """Answer the shell's completion protocol (the scripts in completions/ call pm this way)."""
    from typer.completion import shell_complete

    try:
        return shell_complete(command, {}, "pm", COMPLETE_VAR, instruction)  # type: ignore[arg-type]
    except SystemExit as done:  # fish asks some questions by exit code
        return int(done.code or 0)


def _discard_stdout() -> None:
    """Point stdout at /dev/null so that flushing what is left cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def entry() -> None:
    from pm.cli.graceful import interrupt_with_deadline

    interrupt_with_deadline(EXIT_INTERRUPTED)
    code = run()
    if code == EXIT_INTERRUPTED:  # Ctrl-C: do not wait at exit for a broker call still hanging
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    # The process ends here: the interpreter's teardown would walk every object still alive
    # (typer's, SQLAlchemy's: some 70,000) in its garbage collections, about 0.1 s on a small
    # machine, to free memory the OS takes back anyway. Frozen, they are skipped; objects
    # without cycles are still freed, the atexit hooks (logging, threads) still run, and
    # `run` has closed the database's connections already.
    gc.freeze()
    sys.exit(code)

"""The one place that turns exceptions into an exit code and a line on stderr."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import typer

from pm.cli.terminal import Terminal
from pm.domain import errors as e

EXIT_OK = 0
EXIT_CHECK = 1
EXIT_USAGE = 2
EXIT_BROKER = 3
EXIT_NOT_FOUND = 4
EXIT_CREDENTIALS = 5
EXIT_DATABASE = 6
EXIT_INTERNAL = 7
EXIT_INTERRUPTED = 130

# exception class -> (exit code, HTTP analogue for the JSON error object)
_CODES: tuple[tuple[type[e.PmError], int, int], ...] = (
    (e.CheckFailed, EXIT_CHECK, 422),
    (e.BrokerRejected, EXIT_CHECK, 422),
    (e.BadInput, EXIT_USAGE, 400),
    (e.BrokerUnavailable, EXIT_BROKER, 503),
    (e.NotFound, EXIT_NOT_FOUND, 404),
    (e.CredentialsError, EXIT_CREDENTIALS, 401),
    (e.DatabaseError, EXIT_DATABASE, 503),
)


def classify(error: e.PmError) -> tuple[int, int]:
    for cls, exit_code, status in _CODES:
        if isinstance(error, cls):
            return exit_code, status
    return EXIT_INTERNAL, 500


def report(
    error: BaseException,
    *,
    as_json: bool,
    debug: bool,
    scrub: Callable[[str], str] = lambda s: s,
    terminal: Terminal | None = None,
) -> int:
    """Write the error for a person (one line) or a program (a JSON object); return the code."""
    out = terminal or Terminal()
    if isinstance(error, KeyboardInterrupt | typer.Abort):
        out.say("interrupted")
        return EXIT_INTERRUPTED
    if isinstance(error, typer.TyperException):  # click's usage errors, as Typer vendors them
        kind, code, status = "UsageError", getattr(error, "exit_code", EXIT_USAGE), 400
        ctx = getattr(error, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message, extra = usage_message(error) + hint, {}
    elif isinstance(error, e.PmError):
        kind, message, extra = error.kind, error.message, error.details()
        code, status = classify(error)
    else:
        kind, code, status = "InternalError", EXIT_INTERNAL, 500
        where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
        at = f" at {where.filename}:{where.lineno}" if where else ""
        message = (
            f"internal error: {type(error).__name__}: {error}{at}; "
            "rerun with --debug for the traceback and report it"
        )
        extra = {}
    if code == EXIT_USAGE and kind != e.BadInput.kind:  # one name for exit 2; the finer
        kind, extra = e.BadInput.kind, {**extra, "reason": kind}  # kind stays in "reason"
    if debug:
        out.debug_text(scrub("".join(traceback.format_exception(error))))
    message = scrub(" ".join(str(message).split()))
    payload: dict[str, Any] | None = None
    if as_json:
        payload = {"error": kind, "message": message, "status_code": status, **extra}
    out.error(message, payload, scrub=scrub)
    return code


def error_object(
    error: BaseException, *, scrub: Callable[[str], str] = lambda s: s
) -> dict[str, Any]:
    """The JSON error object `report` writes with --json, for a front end that does not
    write it to stderr (`pm mcp` returns it as a tool error): error, message, status_code,
    and the error's own details (source, reason)."""
    if isinstance(error, e.PmError):
        kind, message, extra = error.kind, error.message, error.details()
        code, status = classify(error)
    else:
        kind, code, status, extra = "InternalError", EXIT_INTERNAL, 500, {}
        message = f"internal error: {type(error).__name__}: {error}"
    if code == EXIT_USAGE and kind != e.BadInput.kind:
        kind, extra = e.BadInput.kind, {**extra, "reason": kind}
    message = scrub(" ".join(str(message).split()))
    return {"error": kind, "message": message, "status_code": status, **extra}


def usage_message(error: typer.TyperException) -> str:
    """click's usage message, with pydantic's words (Typer parses options with pydantic)
    replaced by pm's: "Invalid value for '--limit': must be a whole number, got 'x'"."""
    from pydantic import ValidationError

    from pm.validation_text import phrase

    cause = error.__cause__
    param = getattr(error, "param", None)
    if not isinstance(cause, ValidationError) or param is None:
        return error.format_message()
    descriptor = getattr(param, "type_descriptor", None)
    choices = getattr(descriptor, "choices", None) or ()
    allowed = [str(getattr(c, "value", c)) for c in choices]
    error.message = "; ".join(phrase(err, choices=allowed) for err in cause.errors())
    return error.format_message()

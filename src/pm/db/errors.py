"""Turning SQLAlchemy and driver failures into one-line `DatabaseError`s without secrets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from pm.db.urls import MASK, mask_url
from pm.domain.errors import DatabaseError


def _password_of(url: str | URL) -> str | None:
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError):
        return None
    return parsed.password if parsed.password else None


def describe(exc: BaseException) -> str:
    """The first meaningful line of what went wrong (the driver's message when there is one)."""
    cause: BaseException = exc
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        cause = exc.orig
    text = str(cause).strip()
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return type(cause).__name__


def database_error(
    url: str | URL, exc: BaseException, *, doing: str | None = None
) -> DatabaseError:
    """A `DatabaseError` naming the database by its masked URL, on one line."""
    raw = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
    reason = describe(exc)
    password = _password_of(url)
    if password:
        reason = reason.replace(password, MASK)
    where = f"database {mask_url(raw)}"
    message = f"{where}: {doing}: {reason}" if doing else f"{where}: {reason}"
    return DatabaseError(" ".join(message.split()))


@contextmanager
def translated(url: str | URL, doing: str | None = None) -> Iterator[None]:
    """Re-raise SQLAlchemy and OS errors from the block as `DatabaseError`."""
    try:
        yield
    except DatabaseError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        raise database_error(url, exc, doing=doing) from exc

"""Database URLs: the accepted spellings, and masking passwords for messages and logs."""

from __future__ import annotations

import re
from urllib.parse import unquote

from pm.domain.errors import DatabaseError

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<rest>.*)$", re.DOTALL)
_QUERY_SECRET = re.compile(
    r"(?i)((?:^|[?&\s])(?:password|passwd|pass|pwd|sslpassword)=)(?:'[^']*'|[^&\s]*)"
)
MASK = "***"
# The drivers pm ships: SQLite (stdlib) and psycopg 3; ``postgresql://`` means psycopg 3.
SUPPORTED_SCHEMES = frozenset(
    {"sqlite", "sqlite+pysqlite", "postgresql", "postgres", "postgresql+psycopg"}
)
USE_INSTEAD = "use postgresql://user@host/db (psycopg 3) or sqlite:///path/to/pm.db"


def mask_url(url: str) -> str:
    """`url` with its password (and any ``password=`` query value) replaced by ``***``.

    Works on URLs that are not valid too, and errs on the side of hiding: a password that
    contains ``@``, ``:`` or ``/`` without percent-encoding is hidden whole.
    """
    match = _SCHEME.match(url.strip())
    if match is None:  # mistyped ("postgresql//user:pass@host/db"): hide what looks like one
        return _mask_userinfo(_mask_query(url))
    scheme, rest = match["scheme"], match["rest"]
    if scheme.lower().startswith("sqlite"):
        return url.strip()
    return f"{scheme}://{_mask_userinfo(_mask_query(rest))}"


def _mask_userinfo(rest: str) -> str:
    # Everything before the last "@" is user information; a password may itself contain "@".
    userinfo, at, hostpart = rest.rpartition("@")
    if at and ":" in userinfo:
        user = userinfo.split(":", 1)[0]
        return f"{user}:{MASK}@{hostpart}"
    return rest


def url_passwords(url: str) -> list[str]:
    """What may be the password in `url`, as written and percent-decoded, so that logs and
    messages can scrub it wherever it appears.

    In a mistyped URL (``postgresql:/user:pw@host``) the user information cannot be told
    from the scheme, so every text after a ":" of it is a candidate.
    """
    match = _SCHEME.match(url.strip())
    if match is not None and match["scheme"].lower().startswith("sqlite"):
        return []
    rest = match["rest"] if match is not None else url.strip()
    userinfo, at, _ = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return []
    if match is not None:
        written = [userinfo.split(":", 1)[1]]
    else:
        parts = userinfo.split(":")
        written = [":".join(parts[i:]) for i in range(1, len(parts))]
    return [p for p in dict.fromkeys(w for x in written for w in (x, unquote(x))) if p]


def _mask_query(text: str) -> str:
    return _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, text)


def normalize_url(url: str) -> str:
    """The SQLAlchemy URL to use: ``postgresql://`` and ``postgres://`` mean psycopg 3.

    A URL that is not one, or names a driver pm does not ship (``mysql://``,
    ``postgresql+psycopg2://``), is a `DatabaseError` saying so, with the password masked.
    """
    url = url.strip()
    if not url:
        raise DatabaseError(f"the database URL is empty; {USE_INSTEAD}")
    match = _SCHEME.match(url)
    if match is None:
        raise DatabaseError(f"database {mask_url(url)}: not a valid database URL; {USE_INSTEAD}")
    scheme = match["scheme"].lower()
    if scheme not in SUPPORTED_SCHEMES:
        raise DatabaseError(
            f"database {mask_url(url)}: the driver {scheme!r} is not supported; {USE_INSTEAD}"
        )
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url

"""Database URLs: the accepted spellings, and masking passwords for messages and logs."""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<rest>.*)$", re.DOTALL)
_QUERY_SECRET = re.compile(
    r"(?i)((?:^|[?&\s])(?:password|passwd|pass|pwd|sslpassword)=)(?:'[^']*'|[^&\s]*)"
)
MASK = "***"


def mask_url(url: str) -> str:
    """`url` with its password (and any ``password=`` query value) replaced by ``***``.

    Works on URLs that are not valid too, and errs on the side of hiding: a password that
    contains ``@``, ``:`` or ``/`` without percent-encoding is hidden whole.
    """
    match = _SCHEME.match(url.strip())
    if match is None:
        return _mask_query(url)
    scheme, rest = match["scheme"], match["rest"]
    if scheme.lower().startswith("sqlite"):
        return url.strip()
    # Everything before the last "@" is user information; a password may itself contain "@".
    userinfo, at, hostpart = rest.rpartition("@")
    if at and ":" in userinfo:
        user = userinfo.split(":", 1)[0]
        rest = f"{user}:{MASK}@{hostpart}"
    return f"{scheme}://{_mask_query(rest)}"


def _mask_query(text: str) -> str:
    return _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, text)


def normalize_url(url: str) -> str:
    """The SQLAlchemy URL to use: ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    url = url.strip()
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url

"""Which Alpaca account a configuration points at, known before any request (cheap import)."""

from __future__ import annotations

import hashlib

from pm.domain.errors import BadInput


def normalize_base_url(base_url: str) -> str:
    """The trading endpoint without a trailing slash; it must not end in /v2 (alpaca-py adds it)."""
    url = base_url.strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise BadInput(f"ALPACA_BASE_URL must start with https:// (got {url[:80]!r})")
    if url.endswith("/v2"):
        raise BadInput(
            f"ALPACA_BASE_URL must not end in /v2 (the client adds it): use {url[:-3]!r}"
        )
    return url


def broker_identity(base_url: str, api_key: str) -> str:
    """ "alpaca:" + 16 hex of sha256(normalized base_url, key id): stable, and no secret in it."""
    digest = hashlib.sha256(f"{base_url}\n{api_key}".encode()).hexdigest()
    return f"alpaca:{digest[:16]}"

"""Two-step confirmation for write tools: a preview issues a token, a second call spends it.

A token is bound to one action, its exact arguments, and a fingerprint of the account state
the preview was computed on (for a close: the position's quantity and side; for a breaker
trip: the breaker's state). It is good once, for `TTL` from the preview. A second call with
the token re-reads the state; a token that is unknown, already spent, expired, given for
other arguments, or whose fingerprint no longer matches is refused (and spent), so the
assistant must preview again and show the person what changed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pm.domain.errors import BadInput
from pm.ports import Clock

TTL = timedelta(seconds=60)


class ConfirmationRefused(BadInput):
    """A write tool's confirmation token cannot be used (nothing was sent)."""

    kind = "ConfirmationRefused"


def fingerprint(*parts: Any) -> str:
    """A stable hash of the values an action depends on (Decimals and times as text)."""
    text = json.dumps(parts, default=_text, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _text(value: Any) -> str:
    """A Decimal by its value (a `qty` of 2.0 is a `qty` of 2), anything else as text."""
    return str(value.normalize()) if isinstance(value, Decimal) else str(value)


@dataclass(frozen=True, slots=True)
class _Pending:
    action: str
    arguments: str
    state: str
    expires_at: datetime
    held: Any = None  # what the preview computed and the second call executes (a plan)


class Confirmations:
    """The tokens this server has issued and not yet spent (in memory: a restart voids them)."""

    def __init__(self, clock: Clock, ttl: timedelta = TTL) -> None:
        self._clock = clock
        self.ttl = ttl
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()

    def issue(
        self, action: str, arguments: dict[str, Any], state: str, held: Any = None
    ) -> tuple[str, datetime]:
        """A new token for `action` with `arguments` on the account `state`; its expiry.
        `held` is kept with the token and given back by `redeem`."""
        token = secrets.token_urlsafe(24)
        now = self._clock.now()
        expires_at = now + self.ttl
        with self._lock:
            self._drop_expired(now)
            self._pending[token] = _Pending(action, fingerprint(arguments), state, expires_at, held)
        return token, expires_at

    def redeem(self, token: str, action: str, arguments: dict[str, Any], state: str) -> Any:
        """Spend `token` for this exact action on this state (what `issue` held), or raise
        ConfirmationRefused."""
        now = self._clock.now()
        with self._lock:
            pending = self._pending.pop(token, None)  # spent whatever happens next
        again = "; call without `confirmation_token` for a new preview. Nothing was sent."
        if pending is None:
            raise ConfirmationRefused("unknown or already used `confirmation_token`" + again)
        if now > pending.expires_at:
            raise ConfirmationRefused("the `confirmation_token` has expired" + again)
        if pending.action != action or pending.arguments != fingerprint(arguments):
            raise ConfirmationRefused(
                "the `confirmation_token` was issued for a different action or arguments" + again
            )
        if pending.state != state:
            raise ConfirmationRefused(
                "the account changed since the preview (the token is bound to it)" + again
            )
        return pending.held

    def _drop_expired(self, now: datetime) -> None:
        for token in [t for t, p in self._pending.items() if now > p.expires_at]:
            del self._pending[token]

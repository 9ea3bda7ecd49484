"""`pm breaker`: read, trip and reset an account's circuit breaker; and the automatic trip.

`trip_if` is the one entry point for automatic trips: validation calls it with the account
(daily loss), `pm risk` with its risk level. Manual trips and resets are audited.
"""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass
from decimal import Decimal

from pm.domain.breaker import BreakerStatus, auto_trip_reason, daily_loss_pct, never_tripped
from pm.domain.models import Account
from pm.ports import AuditLog, BreakerStore, Clock


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something: the OS user and the host, "user@host" in the breaker's row."""

    user: str
    host: str

    def __str__(self) -> str:
        return f"{self.user}@{self.host}"


def current_actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        user = "unknown"
    return Actor(user=user, host=socket.gethostname() or "unknown")


@dataclass(frozen=True, slots=True)
class BreakerChange:
    """The state after a trip or reset, and whether this call changed it."""

    status: BreakerStatus
    changed: bool


def status(store: BreakerStore, account_id: str) -> BreakerStatus:
    return store.get(account_id) or never_tripped(account_id)


def trip(
    store: BreakerStore,
    audit: AuditLog,
    clock: Clock,
    account_id: str,
    reason: str,
    *,
    actor: Actor | None = None,
) -> BreakerChange:
    """HALT the breaker (audited). Tripping a HALTED breaker keeps the first trip."""
    who = actor or current_actor()
    reason = " ".join(reason.split())
    before = status(store, account_id)
    entry = audit.begin(
        account_id=account_id,
        action="breaker-trip",
        arguments={"reason": reason},
        os_user=who.user,
        host=who.host,
        at=clock.now(),
    )
    after = store.trip(account_id, reason, str(who), clock.now())
    changed = not before.halted
    audit.finish(
        entry,
        outcome="succeeded",
        details={"changed": changed, "state": after.state, "reason": after.reason},
        at=clock.now(),
    )
    return BreakerChange(after, changed)


def reset(
    store: BreakerStore,
    audit: AuditLog,
    clock: Clock,
    account_id: str,
    *,
    actor: Actor | None = None,
) -> BreakerChange:
    """Back to ACTIVE (audited); the only way out of HALTED."""
    who = actor or current_actor()
    before = status(store, account_id)
    entry = audit.begin(
        account_id=account_id,
        action="breaker-reset",
        arguments={"previous_state": before.state, "previous_reason": before.reason},
        os_user=who.user,
        host=who.host,
        at=clock.now(),
    )
    after = store.reset(account_id, str(who), clock.now())
    audit.finish(entry, outcome="succeeded", details={"changed": before.halted}, at=clock.now())
    return BreakerChange(after, before.halted)


def trip_if(
    store: BreakerStore,
    clock: Clock,
    account_id: str,
    *,
    max_daily_loss_pct: Decimal,
    account: Account | None = None,
    risk_level: str | None = None,
    actor: Actor | None = None,
) -> BreakerChange:
    """Trip the breaker by itself when the daily loss exceeds the limit (from `account`'s
    equity against last_equity) or `risk_level` is CRITICAL; return the state afterwards and
    whether this call tripped it.

    For `pm risk` and validation (both pass the account and the book's risk level). A
    breaker already HALTED stays as it was tripped first.
    """
    loss = daily_loss_pct(account.equity, account.last_equity) if account else Decimal(0)
    reason = auto_trip_reason(
        loss_pct=loss, max_daily_loss_pct=max_daily_loss_pct, risk_level=risk_level
    )
    current = status(store, account_id)
    if reason is None or current.halted:
        return BreakerChange(current, False)
    who = actor or current_actor()
    after = store.trip(account_id, f"automatic: {reason}", str(who), clock.now())
    return BreakerChange(after, after.halted)

"""`pm breaker`: read, trip and reset an account's circuit breaker; and the automatic trip.

`trip_if` is the one entry point for automatic trips: validation calls it with the account
(daily loss), `pm risk` with its risk level. Manual trips and resets are audited
(`services.audited.audited`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pm.domain.breaker import BreakerStatus, auto_trip_reason, daily_loss_pct, never_tripped
from pm.domain.models import Account, Actor
from pm.ports import AuditLog, BreakerStore, Clock
from pm.services.audited import audited


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
    actor: Actor,
    origin: str | None = None,
) -> BreakerChange:
    """HALT the breaker (audited). Tripping a HALTED breaker keeps the first trip.
    `origin` names a front end other than the command line (`mcp`) in the audit arguments."""
    reason = " ".join(reason.split())
    before = status(store, account_id)
    with audited(
        audit,
        clock,
        actor,
        account_id=account_id,
        action="breaker-trip",
        arguments={"reason": reason, **({"origin": origin} if origin else {})},
    ) as entry:
        after = store.trip(account_id, reason, str(actor), clock.now())
        changed = not before.halted
        entry.details = {"changed": changed, "state": after.state, "reason": after.reason}
    return BreakerChange(after, changed)


def reset(
    store: BreakerStore,
    audit: AuditLog,
    clock: Clock,
    account_id: str,
    *,
    actor: Actor,
) -> BreakerChange:
    """Back to ACTIVE (audited); the only way out of HALTED."""
    before = status(store, account_id)
    with audited(
        audit,
        clock,
        actor,
        account_id=account_id,
        action="breaker-reset",
        arguments={"previous_state": before.state, "previous_reason": before.reason},
    ) as entry:
        after = store.reset(account_id, str(actor), clock.now())
        entry.details = {"changed": before.halted}
    return BreakerChange(after, before.halted)


def trip_if(
    store: BreakerStore,
    clock: Clock,
    account_id: str,
    *,
    max_daily_loss_pct: Decimal,
    account: Account | None = None,
    risk_level: str | None = None,
    actor: Actor,
) -> BreakerChange:
    """Trip the breaker by itself when the daily loss exceeds the limit (from `account`'s
    equity against last_equity) or `risk_level` is CRITICAL; return the state afterwards and
    whether this call tripped it.

    For `pm risk` and validation (both pass the account and its risk level). A
    breaker already HALTED stays as it was tripped first.
    """
    loss = daily_loss_pct(account.equity, account.last_equity) if account else Decimal(0)
    reason = auto_trip_reason(
        loss_pct=loss, max_daily_loss_pct=max_daily_loss_pct, risk_level=risk_level
    )
    current = status(store, account_id)
    if reason is None or current.halted:
        return BreakerChange(current, False)
    after = store.trip(account_id, f"automatic: {reason}", str(actor), clock.now())
    return BreakerChange(after, after.halted)

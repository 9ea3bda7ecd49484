"""`pm demo reset`: the simulated account back to its seed, audited like every destructive
action (it forgets the demo's positions and orders)."""

from __future__ import annotations

from typing import Protocol

from pm.domain.models import Account, Actor
from pm.ports import AuditLog, Clock, LedgerStore
from pm.services.audited import audited


class ResettableAccount(Protocol):
    """A simulated account that can start over (the demo broker)."""

    def reset(self) -> Account: ...


def reset(
    demo: ResettableAccount,
    account_id: str,
    audit: AuditLog,
    clock: Clock,
    actor: Actor,
    ledger: LedgerStore | None = None,
) -> Account:
    """Reset the account; the audit row is written first and finished whatever happens.
    The trade ledger of the account is forgotten too (its fills were of the old orders)."""
    with audited(
        audit, clock, actor, account_id=account_id, action="demo-reset", arguments={}
    ) as entry:
        account = demo.reset()
        if ledger is not None:
            ledger.forget(account_id)
        entry.details = {"equity": account.equity, "cash": account.cash}
    return account

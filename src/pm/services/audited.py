"""Audited actions: the audit row is written ("pending", committed) before the action and
always finished after it, whatever happens in between.

    with audited(log, clock, actor, account_id=..., action="close", arguments={...}) as entry:
        order = broker.close_position(...)
        entry.details = {"order": ...}

A block that raises finishes the row as ``failed`` with the error's kind and message (or as
``unknown`` when the block set `entry.outcome` to it: the broker may have acted), then the
error propagates; a block that ends normally finishes it with `entry.outcome` (default
``succeeded``) and `entry.details`. Every audited action (close, close-all, breaker trips and
resets) goes through here, so none can leave its row ``pending`` after an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from pm.domain.errors import PmError
from pm.domain.models import Actor
from pm.logging import get_logger
from pm.ports import AuditLog, Clock

log = get_logger("pm.audit")

#: ``unknown``: the action may or may not have happened at the broker (an ambiguous failure);
#: a later command settles it (`pm.services.orders.settle`).
Outcome = Literal["succeeded", "failed", "partial", "unknown"]


@dataclass
class AuditedAction:
    """The audit row of an action in progress: set `outcome` and `details` inside the block."""

    id: int
    outcome: Outcome = "succeeded"
    details: dict[str, Any] = field(default_factory=dict)


@contextmanager
def audited(
    audit: AuditLog,
    clock: Clock,
    actor: Actor,
    *,
    account_id: str | None,
    action: str,
    arguments: dict[str, Any],
    begin: Callable[[], int] | None = None,
) -> Iterator[AuditedAction]:
    """Write the pending row, run the block, record its outcome (see the module doc).

    `begin`, when given, writes the pending row instead of `audit.begin` and returns its id:
    the order path passes the order store's, which writes the audit row and the order rows
    in one transaction.
    """
    if begin is not None:
        entry = AuditedAction(begin())
    else:
        entry = AuditedAction(
            audit.begin(
                account_id=account_id,
                action=action,
                arguments=arguments,
                os_user=actor.user,
                host=actor.host,
                at=clock.now(),
            )
        )
    try:
        yield entry
    except BaseException as error:
        _finish_failed(audit, clock, entry, error)
        raise
    audit.finish(entry.id, outcome=entry.outcome, details=entry.details, at=clock.now())


def failure_details(error: BaseException) -> dict[str, Any]:
    """What a failed action's row says: the error's kind and message (and plain details)."""
    if isinstance(error, PmError):
        plain = {
            k: v
            for k, v in error.details().items()
            if isinstance(v, str | int | float | bool | type(None))
        }
        return {"error": error.kind, "message": error.message, **plain}
    return {"error": type(error).__name__, "message": str(error)}


def _finish_failed(
    audit: AuditLog, clock: Clock, entry: AuditedAction, error: BaseException
) -> None:
    outcome = "unknown" if entry.outcome == "unknown" else "failed"
    details = {**entry.details, **failure_details(error)} if outcome == "unknown" else None
    try:
        audit.finish(
            entry.id,
            outcome=outcome,
            details=details if details is not None else failure_details(error),
            at=clock.now(),
        )
    except Exception as unrecorded:  # the database went too: the action's own error matters more
        log.error(
            "audit outcome not recorded",
            audit_id=entry.id,
            error=str(unrecorded),
            action_error=str(error),
        )

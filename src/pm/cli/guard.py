"""Builds the pre-trade validation `Guard` and the order path's `OrderDesk` for a command."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pm.cli.context import AppContext
    from pm.services.orders import OrderDesk
    from pm.services.validate import Guard


def build_guard(app_: AppContext) -> Guard:
    """Validation for this command: limits from settings, the account's breaker, sectors."""
    from pm.cli.regime_job import regime_check
    from pm.services.sectors import SectorResolver
    from pm.services.validate import Guard

    repo = app_.repo()
    return Guard(
        broker=app_.broker(),
        breakers=app_.breaker_store(),
        sectors=SectorResolver(repo.risk),
        limits=app_.settings.risk_limits,
        clock=app_.clock,
        actor=app_.actor,
        prices=app_.latest_prices(),
        peak_equity=repo.snapshots.peak_equity,
        regime_check=regime_check(app_),
        ledger=repo.ledger,
        wash_sale_block=app_.settings.pm_wash_sale == "block",
        ledger_sync=_local_sync(app_) if app_.identity().simulated else None,
    )


def _local_sync(app_: AppContext) -> Callable[[], None]:
    """The demo's ledger brought up to date when the gate first reads it (its activities are
    local): after the order's input is checked, so bad input still writes nothing."""
    from pm.cli.ledger import local_sync

    def sync() -> None:
        local_sync(app_, app_.account_id())

    return sync


#: Fault tests set this to a step of the order path (`pm.services.orders.AFTER_ORDER_COMMIT`,
#: ...): the process kills itself with SIGKILL there, as a crash or `kill -9` would.
KILL_AT_ENV = "PM_TEST_KILL_AT"


def build_desk(app_: AppContext) -> OrderDesk:
    """The order path for this command: the broker, the order store and the audit log; fills
    are polled for at most the command's timeout (5 s at most)."""
    import os

    from pm.services.orders import OrderDesk

    timeout = app_.settings.pm_timeout
    kill_at = os.environ.get(KILL_AT_ENV)
    repo = app_.repo()
    return OrderDesk(
        broker=app_.broker(),
        store=repo.orders,
        book=repo.reconcile,
        audit=app_.audit_log(),
        clock=app_.clock,
        actor=app_.actor,
        fill_wait_s=min(5.0, timeout),
        lock_wait_s=max(timeout, 1.0),
        checkpoint=_killer(kill_at) if kill_at else _nothing,
    )


def _nothing(_step: str) -> None:
    return None


def _killer(kill_at: str) -> Callable[[str], None]:
    def checkpoint(step: str) -> None:
        if step == kill_at:
            import os
            import signal
            import sys

            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint

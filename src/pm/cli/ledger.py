"""The stored ledger as commands read it: the demo's brought up to date first (its activities
are local), a real account's as last synced. Shared by `pm trades`, `pm tax`, `pm size`,
`pm performance`, `pm rebalance plan --tax-aware` and `pm mcp`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pm.cli.context import AppContext


def local_sync(app_: AppContext, account_id: str) -> None:
    """The demo's activities are local: bring its ledger up to date before reading it."""
    if app_.identity().simulated:
        from pm.services import trades as service

        _, warning = service.sync_warning(
            app_.broker(), app_.repo(), account_id, app_.clock, touch=False
        )
        if warning:
            app_.terminal.warn(warning)


def ledger_account(app_: AppContext) -> str:
    """The account whose stored ledger `pm trades` (and `pm mcp`'s get_trades, get_lots)
    reads: the demo's brought up to date first; a real account's as last synced."""
    account_id = app_.account_id(ask_broker=app_.identity().simulated)
    local_sync(app_, account_id)
    return account_id

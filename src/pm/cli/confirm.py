"""Guards for commands that place orders or change the account's safety state.

- `require_live_allowed`: on Alpaca's live endpoint (real money) a command that places orders
  also needs ``--live`` or ``PM_ALLOW_LIVE=true``; otherwise exit 2 before anything is sent.
- `Terminal.confirm` (cli/terminal.py) asks: ``--yes`` goes ahead; at a terminal the user is
  asked (default no); without a terminal the command refuses with exit 2 (`NotConfirmed`).
  A refusal or a "no" sends nothing and writes nothing (not even an audit row: the audit log
  records actions that were authorised).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from pm.domain.errors import BadInput

if TYPE_CHECKING:
    from pm.config import Settings

YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do it without asking (required off a terminal).")
]
LiveOpt = Annotated[
    bool,
    typer.Option("--live", help="Allow this on Alpaca's live (real-money) endpoint."),
]


class NotConfirmed(BadInput):
    """The user did not authorise a destructive command (exit 2)."""

    kind = "NotConfirmed"


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def require_live_allowed(settings: Settings, live: bool, what: str) -> None:
    """Refuse (exit 2) to place orders on the live endpoint without --live / PM_ALLOW_LIVE."""
    if settings.pm_broker == "demo" or not settings.is_live:
        return
    if live or settings.pm_allow_live:
        return
    raise NotConfirmed(
        f"{what}: ALPACA_BASE_URL is Alpaca's live endpoint (real money); pass --live "
        "(or set PM_ALLOW_LIVE=true) to allow it. Nothing was sent."
    )

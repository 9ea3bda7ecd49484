"""How `pm demo reset` reports the restored account: one line, or one JSON object."""

from __future__ import annotations

from rich.text import Text

from pm.cli.terminal import Shown
from pm.cli.views.common import money
from pm.domain.models import Account
from pm.records import demo as records


def reset(account: Account) -> Shown:
    return Shown(
        records.account(account),
        Text(
            f"demo account {account.account_id} reset: equity {money(account.equity)}, "
            f"cash {money(account.cash)}. Run pm --demo reconcile to bring the local book along."
        ),
    )
